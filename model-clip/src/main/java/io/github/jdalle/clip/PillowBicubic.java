package io.github.jdalle.clip;

import io.github.jdalle.core.RgbImage;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} for 8-bit RGB, reproduced bit for bit (Pillow
 * {@code src/libImaging/Resample.c}): a separable Keys cubic (a = −0.5) widened by the scale factor when
 * shrinking, weights in fixed point with 22 fractional bits, and two passes, horizontal first, whose
 * intermediate is rounded and clamped to 8 bits. A pass is skipped when its axis keeps its size.
 */
final class PillowBicubic {
    /** Keys' cubic convolution parameter. */
    private static final double A = -0.5;
    /** Half-width of the cubic kernel in source pixels at scale 1. */
    private static final double SUPPORT = 2.0;
    /** 32 bits minus 8 for the result and 2 for overshoot of the negative lobes. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    /** Accumulator start: one half, so the final shift rounds to nearest. */
    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PillowBicubic() {
    }

    /** {@code image} resampled to {@code outHeight × outWidth}. */
    static RgbImage resize(RgbImage image, int outHeight, int outWidth) {
        RgbImage wide = outWidth == image.width() ? image : horizontal(image, taps(image.width(), outWidth));
        return outHeight == image.height() ? wide : vertical(wide, taps(image.height(), outHeight));
    }

    /**
     * The source window and fixed-point weights of every output position along one axis.
     *
     * @param first   first source index of output i
     * @param weights weights of source indices {@code first[i] …}, summing to about {@code 1 << PRECISION_BITS}
     */
    private record Taps(int[] first, int[][] weights) {
    }

    private static Taps taps(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = SUPPORT * filterScale;
        double inverseFilterScale = 1.0 / filterScale;
        int[] first = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            // Pillow rounds the window ends by truncating x + 0.5 (toward zero), then clamps to the image.
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), inSize);
            double[] real = new double[max - min];
            double sum = 0;
            for (int x = 0; x < real.length; x++) {
                real[x] = cubic((x + min - center + 0.5) * inverseFilterScale);
                sum += real[x];
            }
            int[] fixed = new int[real.length];
            for (int x = 0; x < real.length; x++) {
                double normalized = sum != 0.0 ? real[x] / sum : real[x];
                fixed[x] = toFixedPoint(normalized);
            }
            first[i] = min;
            weights[i] = fixed;
        }
        return new Taps(first, weights);
    }

    /** Keys' cubic, written with Pillow's operation order so the doubles round identically. */
    private static double cubic(double x) {
        double t = Math.abs(x);
        if (t < 1.0) {
            return ((A + 2.0) * t - (A + 3.0)) * t * t + 1;
        }
        if (t < 2.0) {
            return (((t - 5) * t + 8) * t - 4) * A;
        }
        return 0.0;
    }

    /** Round half away from zero to {@code PRECISION_BITS} fractional bits, as Pillow's C cast does. */
    private static int toFixedPoint(double weight) {
        double scaled = weight * (1 << PRECISION_BITS);
        return (int) (weight < 0 ? scaled - 0.5 : scaled + 0.5);
    }

    /** Shift-and-clamp of an accumulator back to a byte. */
    private static byte clamp8(int accumulator) {
        return (byte) Math.clamp(accumulator >> PRECISION_BITS, 0, 255);
    }

    private static RgbImage horizontal(RgbImage in, Taps taps) {
        int outWidth = taps.first().length;
        byte[] out = new byte[in.height() * outWidth * RgbImage.CHANNELS];
        for (int y = 0; y < in.height(); y++) {
            for (int x = 0; x < outWidth; x++) {
                int[] weights = taps.weights()[x];
                for (int c = 0; c < RgbImage.CHANNELS; c++) {
                    int accumulator = HALF;
                    for (int t = 0; t < weights.length; t++) {
                        accumulator += in.sample(y, taps.first()[x] + t, c) * weights[t];
                    }
                    out[(y * outWidth + x) * RgbImage.CHANNELS + c] = clamp8(accumulator);
                }
            }
        }
        return new RgbImage(in.height(), outWidth, out);
    }

    private static RgbImage vertical(RgbImage in, Taps taps) {
        int outHeight = taps.first().length;
        byte[] out = new byte[outHeight * in.width() * RgbImage.CHANNELS];
        for (int y = 0; y < outHeight; y++) {
            int[] weights = taps.weights()[y];
            for (int x = 0; x < in.width(); x++) {
                for (int c = 0; c < RgbImage.CHANNELS; c++) {
                    int accumulator = HALF;
                    for (int t = 0; t < weights.length; t++) {
                        accumulator += in.sample(taps.first()[y] + t, x, c) * weights[t];
                    }
                    out[(y * in.width() + x) * RgbImage.CHANNELS + c] = clamp8(accumulator);
                }
            }
        }
        return new RgbImage(outHeight, in.width(), out);
    }
}
