package io.github.jdalle.dallebart;

/**
 * The image tokens of one generation call: for each image (numbered as in {@link SamplingRequest}), its
 * {@code imageLength} VQGAN codes in row-major 16 × 16 grid order, the start token dropped.
 */
public final class GenerationResult {
    private final int imagesPerPrompt;
    private final int[][] tokens;

    GenerationResult(int imagesPerPrompt, int[][] tokens) {
        this.imagesPerPrompt = imagesPerPrompt;
        this.tokens = tokens;
    }

    /** Number of images, prompts × images per prompt. */
    public int imageCount() {
        return tokens.length;
    }

    /** The codes of image {@code image} (a copy). */
    public int[] tokens(int image) {
        return tokens[image].clone();
    }

    /** The codes of picture {@code picture} of prompt {@code prompt} (a copy). */
    public int[] tokens(int prompt, int picture) {
        return tokens(prompt * imagesPerPrompt + picture);
    }
}
