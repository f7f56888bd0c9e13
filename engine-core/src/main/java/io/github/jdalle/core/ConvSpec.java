package io.github.jdalle.core;

/**
 * Stride and zero padding of a 2-D convolution over NHWC activations with an HWIO kernel. Padding may be
 * asymmetric, as in the VQGAN's downsampling (nothing on the top/left, one row/column on the bottom/right).
 */
public record ConvSpec(int stride, int padTop, int padLeft, int padBottom, int padRight) {
    public ConvSpec {
        if (stride <= 0 || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
            throw new JdalleException("invalid convolution geometry: stride " + stride + ", padding " + padTop + ","
                    + padLeft + "," + padBottom + "," + padRight);
        }
    }

    /** Stride 1 with {@code (k−1)/2} padding on every side: output size equals input size for odd k. */
    public static ConvSpec same(int kernelSize) {
        int pad = (kernelSize - 1) / 2;
        return new ConvSpec(1, pad, pad, pad, pad);
    }

    /** The VQGAN's 3×3 stride-2 downsampling: pad 0 top/left and 1 bottom/right. */
    public static ConvSpec downsample() {
        return new ConvSpec(2, 0, 0, 1, 1);
    }

    /** Non-overlapping patches (CLIP's patch embedding): stride = kernel size, no padding. */
    public static ConvSpec patches(int patchSize) {
        return new ConvSpec(patchSize, 0, 0, 0, 0);
    }

    /** Output size along one axis for input size {@code in} and kernel size {@code k}. */
    public int outputSize(int in, int k, boolean vertical) {
        int padded = in + (vertical ? padTop + padBottom : padLeft + padRight);
        return (padded - k) / stride + 1;
    }
}
