package io.github.jdalle.core;

/**
 * An 8-bit RGB picture stored row-major as (height, width, 3) bytes: what the VQGAN decoder gives, what CLIP
 * scores and what a PNG holds. Shared by the models so that a decoded picture goes to CLIP unchanged. The
 * pixel array is owned by the image; callers must not modify it after construction.
 *
 * @param height rows
 * @param width  columns
 * @param pixels {@code height·width·3} bytes, R, G, B per pixel, row 0 at the top
 */
public record RgbImage(int height, int width, byte[] pixels) {
    /** Number of colour channels per pixel. */
    public static final int CHANNELS = 3;

    public RgbImage {
        if (height <= 0 || width <= 0) {
            throw new JdalleException("image size " + height + "×" + width + " must be positive");
        }
        if (pixels.length != (long) height * width * CHANNELS) {
            throw new JdalleException("a " + height + "×" + width + " RGB image needs " + (long) height * width * CHANNELS
                    + " bytes, got " + pixels.length);
        }
    }

    /** Channel {@code channel} of the pixel at ({@code y}, {@code x}), 0…255. */
    public int sample(int y, int x, int channel) {
        return Byte.toUnsignedInt(pixels[(y * width + x) * CHANNELS + channel]);
    }

    /** The {@code cropHeight × cropWidth} window whose top-left corner is ({@code top}, {@code left}). */
    public RgbImage crop(int top, int left, int cropHeight, int cropWidth) {
        if (top < 0 || left < 0 || top + cropHeight > height || left + cropWidth > width) {
            throw new JdalleException("crop " + cropHeight + "×" + cropWidth + " at (" + top + ", " + left
                    + ") does not fit a " + height + "×" + width + " image");
        }
        byte[] out = new byte[cropHeight * cropWidth * CHANNELS];
        int rowBytes = cropWidth * CHANNELS;
        for (int y = 0; y < cropHeight; y++) {
            System.arraycopy(pixels, ((top + y) * width + left) * CHANNELS, out, y * rowBytes, rowBytes);
        }
        return new RgbImage(cropHeight, cropWidth, out);
    }
}
