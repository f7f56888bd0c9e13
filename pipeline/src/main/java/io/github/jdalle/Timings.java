package io.github.jdalle;

import java.time.Duration;

/**
 * Where the time of one {@link DalleMini#generate} call went.
 *
 * @param encode      text encoder and cross-attention keys/values, for every prompt and the unconditional input
 * @param decode      the decoder steps (preview decoding excluded)
 * @param decodeSteps decoder steps per picture
 * @param vqgan       decoding the finished token grids to pictures
 * @param clip        scoring the pictures against their prompts (zero without a CLIP model)
 * @param total       the whole call, tokenization and previews included
 */
public record Timings(Duration encode, Duration decode, int decodeSteps, Duration vqgan, Duration clip, Duration total) {
    /** Decoder steps per second; each step advances every picture of the call by one token. */
    public double stepsPerSecond() {
        return decodeSteps / Math.max(decode.toNanos() / 1e9, 1e-9);
    }
}
