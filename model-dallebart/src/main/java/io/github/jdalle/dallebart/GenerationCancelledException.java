package io.github.jdalle.dallebart;

import io.github.jdalle.core.JdalleException;

/** Thrown when a {@link CancellationToken} stops a generation; keeps the tokens chosen before it stopped. */
public final class GenerationCancelledException extends JdalleException {
    private static final long serialVersionUID = 1L;

    private final int completedSteps;
    private final int[][] partialTokens;

    GenerationCancelledException(int completedSteps, int totalSteps, int[][] partialTokens) {
        super("generation cancelled after " + completedSteps + " of " + totalSteps + " steps");
        this.completedSteps = completedSteps;
        this.partialTokens = partialTokens;
    }

    /** Number of decoder steps finished before the cancellation was seen. */
    public int completedSteps() {
        return completedSteps;
    }

    /** Per image, the {@link #completedSteps()} codes chosen before the cancellation (a copy). */
    public int[][] partialTokens() {
        int[][] copy = new int[partialTokens.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = partialTokens[i].clone();
        }
        return copy;
    }
}
