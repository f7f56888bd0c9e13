package io.github.jdalle;

import io.github.jdalle.core.RgbImage;

import java.util.List;

/**
 * Told how a {@link DalleMini#generate} call progresses, for progress bars and progressive previews. Both
 * methods run on the generating thread between decoder steps; a slow listener slows the generation.
 */
public interface GenerationListener {
    /** A listener that ignores everything. */
    GenerationListener NONE = new GenerationListener() {
    };

    /**
     * After every decoder step.
     *
     * @param step       the step just finished, 0-based
     * @param totalSteps decoder steps per picture (256 for DALL·E Mini)
     */
    default void onStep(int step, int totalSteps) {
    }

    /**
     * After each {@link GenerationRequest#previewEvery()} steps (never after the last one: the finished
     * pictures follow): every picture decoded from its tokens so far. The unknown rest of each token grid is
     * filled by repeating the token above each position (the latest token in the first row), which draws the
     * rows made so far and streaks them downward.
     *
     * @param step       the step just finished, 0-based
     * @param totalSteps decoder steps per picture
     * @param previews   one picture per image, in request order (prompt by prompt)
     */
    default void onPreview(int step, int totalSteps, List<RgbImage> previews) {
    }
}
