package io.github.jdalle.clip;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;

import java.util.List;

/**
 * CLIP's image preprocessing as Hugging Face's {@code CLIPImageProcessor} does it for
 * {@code openai/clip-vit-base-patch32}: resize so the shortest edge is {@code size} with Pillow's bicubic
 * filter on the 8-bit image, center crop {@code size × size}, rescale by 1/255 and normalize each channel
 * with CLIP's mean and standard deviation. Immutable and thread-safe.
 *
 * @param size the resize target of the shortest edge and the crop size (the vision tower's image size)
 */
public record ClipImageProcessor(int size) {
    /** Per-channel mean of CLIP's training images (R, G, B). */
    private static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** Per-channel standard deviation of CLIP's training images (R, G, B). */
    private static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** Memory order of the pixel tensor. */
    public enum Layout {
        /** (B, 3, H, W), the order of Hugging Face's {@code pixel_values}. */
        NCHW,
        /** (B, H, W, 3), the order the patch convolution reads. */
        NHWC
    }

    public ClipImageProcessor {
        if (size <= 0) {
            throw new JdalleException("CLIP image size must be positive, got " + size);
        }
    }

    /** The preprocessing of a vision tower that reads {@code config.imageSize()} pixels square. */
    public static ClipImageProcessor of(ClipConfig.Vision config) {
        return new ClipImageProcessor(config.imageSize());
    }

    /**
     * Resizes so the shortest edge is {@code size}; the other edge becomes {@code ⌊size·long/short⌋}
     * (Hugging Face's {@code get_resize_output_image_size}).
     */
    public RgbImage resize(RgbImage image) {
        boolean portrait = image.height() >= image.width();
        int shortEdge = portrait ? image.width() : image.height();
        int longEdge = portrait ? image.height() : image.width();
        int resizedLong = (int) ((long) size * longEdge / shortEdge);
        return portrait ? PillowBicubic.resize(image, resizedLong, size) : PillowBicubic.resize(image, size, resizedLong);
    }

    /**
     * The central {@code size × size} window, offsets rounded down as Hugging Face's {@code center_crop} does
     * ({@code top = ⌊(H − size)/2⌋}). The image must be at least {@code size} on both edges, as
     * {@link #resize} leaves it.
     */
    public RgbImage centerCrop(RgbImage image) {
        if (image.height() < size || image.width() < size) {
            throw new JdalleException("a " + image.height() + "×" + image.width() + " image is smaller than the "
                    + size + "-pixel crop; resize it first");
        }
        return image.crop((image.height() - size) / 2, (image.width() - size) / 2, size, size);
    }

    /** Resize, crop, rescale and normalize a batch into a (B, 3, size, size) or (B, size, size, 3) tensor. */
    public Tensor pixelValues(List<RgbImage> images, Layout layout) {
        int pixels = size * size;
        float[] values = new float[images.size() * pixels * RgbImage.CHANNELS];
        for (int b = 0; b < images.size(); b++) {
            RgbImage square = centerCrop(resize(images.get(b)));
            int base = b * pixels * RgbImage.CHANNELS;
            for (int p = 0; p < pixels; p++) {
                for (int c = 0; c < RgbImage.CHANNELS; c++) {
                    float value = normalize(Byte.toUnsignedInt(square.pixels()[p * RgbImage.CHANNELS + c]), c);
                    int index = layout == Layout.NHWC ? p * RgbImage.CHANNELS + c : c * pixels + p;
                    values[base + index] = value;
                }
            }
        }
        return layout == Layout.NHWC
                ? Tensor.ofFloats(values, images.size(), size, size, RgbImage.CHANNELS)
                : Tensor.ofFloats(values, images.size(), RgbImage.CHANNELS, size, size);
    }

    /** Hugging Face rescales in float64 and rounds to float32, then normalizes in float32. */
    private static float normalize(int sample, int channel) {
        float rescaled = (float) (sample * (1.0 / 255.0));
        return (rescaled - MEAN[channel]) / STD[channel];
    }
}
