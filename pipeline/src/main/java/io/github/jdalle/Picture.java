package io.github.jdalle;

import io.github.jdalle.core.RgbImage;
import io.github.jdalle.vqgan.Images;

import java.awt.image.BufferedImage;
import java.util.OptionalDouble;

/**
 * One generated picture.
 *
 * @param number the picture's number, which with the seed names its random stream (see {@link GenerationRequest})
 * @param tokens its image tokens, row-major over the VQGAN grid (16 × 16 = 256 for DALL·E Mini)
 * @param image  the decoded picture
 * @param score  CLIP's {@code exp(logit_scale)·cos(picture, prompt)}; empty when there is no CLIP model
 */
public record Picture(long number, int[] tokens, RgbImage image, OptionalDouble score) {
    public Picture {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** The picture as a {@link BufferedImage}, made on each call. */
    public BufferedImage toBufferedImage() {
        return Images.toBufferedImage(image);
    }
}
