package io.github.jdalle.core.sampling;

import io.github.jdalle.core.JdalleException;

/**
 * The logits warpers applied after guidance, in upstream order: temperature, then top-k, then top-p.
 *
 * @param temperature divides the logits; 1 leaves them unchanged
 * @param topK        keep only the k largest logits; 0 keeps all, 1 is greedy (argmax, first index on ties)
 * @param topP        nucleus filtering: keep the most probable tokens until their mass reaches p; 1 turns it off
 */
public record SamplingSettings(float temperature, int topK, float topP) {
    /** dalle-mini's effective defaults: temperature 1, top-k 50, top-p off. */
    public static final SamplingSettings DEFAULT = new SamplingSettings(1f, 50, 1f);

    public SamplingSettings {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new JdalleException("temperature must be a positive number, got " + temperature);
        }
        if (topK < 0) {
            throw new JdalleException("top-k must be 0 (off) or positive, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new JdalleException("top-p must be in (0, 1], got " + topP);
        }
    }

    /** Always the largest logit. */
    public static SamplingSettings greedy() {
        return new SamplingSettings(1f, 1, 1f);
    }

    public boolean isGreedy() {
        return topK == 1;
    }
}
