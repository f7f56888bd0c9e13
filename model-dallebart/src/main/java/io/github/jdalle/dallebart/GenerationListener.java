package io.github.jdalle.dallebart;

/**
 * Told after every decoder step, for progress bars and progressive previews (decode the tokens so far, the
 * rest of the grid left blank). Called on the generating thread; a slow listener slows generation.
 */
@FunctionalInterface
public interface GenerationListener {
    /** A listener that does nothing. */
    GenerationListener NONE = (step, totalSteps, tokensSoFar) -> { };

    /**
     * @param step        the step just finished, 0-based
     * @param totalSteps  steps per image (the config's image length)
     * @param tokensSoFar per image, the {@code step + 1} codes chosen so far (copies the listener may keep)
     */
    void onStep(int step, int totalSteps, int[][] tokensSoFar);

    /**
     * Told once, after the prompts are encoded and the cross-attention keys and values computed, before the
     * first decoder step; lets a caller time the encoder apart from the decoding.
     */
    default void onEncoded() {
    }
}
