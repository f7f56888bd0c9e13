package io.github.jdalle.core;

/**
 * How one multi-head attention call masks and scales. Queries {@code q (B, Tq, D)} attend over the first
 * {@code keyCount} rows of {@code k, v (B, Tk, D)}; head {@code h} uses feature columns
 * {@code [h·D/heads, (h+1)·D/heads)}. Scores are {@code scale · q·k}, masked positions get −∞ before the
 * softmax.
 *
 * @param heads    number of heads; D must be divisible by it
 * @param scale    multiplier of the dot products, usually {@code 1/√headDim}
 * @param keyCount number of leading key rows in use (the filled part of a KV cache), or -1 for all of them
 * @param causal   when true, query {@code i} sits at position {@code keyCount − Tq + i} and sees only keys at or
 *                 before it
 * @param keyMask  optional (B, Tk) I32 tensor on the backend, 1 for keys to keep and 0 for padding
 */
public record AttentionSpec(int heads, float scale, int keyCount, boolean causal, Tensor keyMask) {
    public AttentionSpec {
        if (heads <= 0) {
            throw new JdalleException("attention needs at least one head, got " + heads);
        }
    }

    /** Unmasked attention over every key. */
    public static AttentionSpec of(int heads, float scale) {
        return new AttentionSpec(heads, scale, -1, false, null);
    }

    /** This spec with a key-padding mask (B, Tk) I32. */
    public AttentionSpec withKeyMask(Tensor mask) {
        return new AttentionSpec(heads, scale, keyCount, causal, mask);
    }

    /** This spec with a causal mask. */
    public AttentionSpec causalMask() {
        return new AttentionSpec(heads, scale, keyCount, true, keyMask);
    }

    /** This spec restricted to the first {@code count} keys, as when reading a partly filled KV cache. */
    public AttentionSpec overFirstKeys(int count) {
        return new AttentionSpec(heads, scale, count, causal, keyMask);
    }
}
