package io.github.jdalle.clip;

import java.util.stream.IntStream;

/**
 * How well each image matches one prompt.
 *
 * @param scores {@code exp(logit_scale)·cos(image, prompt)} per image, in the order the images were given
 * @param order  image indices from the best match to the worst (ties keep the given order)
 */
public record Ranking(float[] scores, int[] order) {
    public Ranking {
        scores = scores.clone();
        order = order.clone();
    }

    /** Ranks {@code scores} (given in image order), highest first. */
    public static Ranking of(float[] scores) {
        int[] order = IntStream.range(0, scores.length).boxed()
                .sorted((a, b) -> Float.compare(scores[b], scores[a]))
                .mapToInt(Integer::intValue).toArray();
        return new Ranking(scores, order);
    }

    @Override
    public float[] scores() {
        return scores.clone();
    }

    @Override
    public int[] order() {
        return order.clone();
    }

    /** Index of the best-matching image. */
    public int best() {
        return order[0];
    }
}
