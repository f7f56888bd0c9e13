package io.github.jdalle.core.sampling;

/**
 * A SplitMix64 stream of uniform numbers for one image, derived from (seed, image index) alone, so the same
 * seed gives the same picture whatever the batch size, thread count or backend. Not thread-safe: one stream
 * belongs to one image of one call.
 */
public final class RandomStream {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private long state;

    private RandomStream(long state) {
        this.state = state;
    }

    /** The stream of image {@code imageIndex} under {@code seed}. */
    public static RandomStream forImage(long seed, long imageIndex) {
        return new RandomStream(mix64(seed ^ mix64(imageIndex * GOLDEN_GAMMA + GOLDEN_GAMMA)));
    }

    /** The next 64 random bits. */
    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
