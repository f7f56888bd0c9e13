package io.github.jdalle.core.cpu;

import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * 2-D convolution of NHWC activations with an HWIO kernel as an implicit GEMM: the kernel is already a
 * (KH·KW·Cin, Cout) matrix in Flax layout, and the rows of the left operand, one per output pixel, are
 * gathered from the image block by block while packing (im2col without the copy of the whole image). Within
 * one kernel row the taps are adjacent pixels, so each gathered run is one contiguous copy, clipped to zero
 * where it reaches into the padding. A 1×1 convolution is the GEMM itself.
 */
final class Conv2d {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Conv2d() {
    }

    /** x (B, H, W, Cin) F32, kernel (KH, KW, Cin, Cout), bias (Cout floats) or null, out (B, H', W', Cout) F32. */
    static void run(ThreadPool pool, Tensor x, Tensor kernel, float[] bias, ConvSpec spec, Tensor out) {
        int inChannels = x.dim(3);
        int kernelHeight = kernel.dim(0);
        int kernelWidth = kernel.dim(1);
        int depth = kernelHeight * kernelWidth * inChannels;
        Tensor weight = kernel.reshape(depth, kernel.dim(3));
        int pixels = out.rows();
        boolean pointwise = kernelHeight == 1 && kernelWidth == 1 && spec.stride() == 1 && spec.padTop() == 0
                && spec.padLeft() == 0 && spec.padBottom() == 0 && spec.padRight() == 0;
        if (pointwise) {
            Gemm.multiply(pool, x.segment(), pixels, depth, weight, bias, out.segment());
        } else {
            Gemm.multiply(pool, imageRows(x, kernelWidth, spec, out.dim(1), out.dim(2)), pixels, depth, weight, bias,
                    out.segment());
        }
    }

    /**
     * The im2col rows: row (b, oy, ox), column (ky, kx, ci) is x[b, oy·s − padTop + ky, ox·s − padLeft + kx, ci],
     * or 0 in the padding.
     */
    private static Gemm.Rows imageRows(Tensor x, int kernelWidth, ConvSpec spec, int outHeight, int outWidth) {
        MemorySegment image = x.segment();
        int height = x.dim(1);
        int width = x.dim(2);
        int channels = x.dim(3);
        int kernelRow = kernelWidth * channels;
        return (row, count, k0, depth, panel) -> {
            for (int r = 0; r < count; r++) {
                int pixel = row + r;
                int b = pixel / (outHeight * outWidth);
                int oy = pixel / outWidth % outHeight;
                int ox = pixel % outWidth;
                int top = oy * spec.stride() - spec.padTop();
                int left = ox * spec.stride() - spec.padLeft();
                int to = r * depth - k0;
                for (int k = k0, end = k0 + depth; k < end; ) {
                    int ky = k / kernelRow;
                    int within = k % kernelRow;
                    int length = Math.min(kernelRow - within, end - k);
                    int iy = top + ky;
                    // element e of the run is input column left + (within + e)/channels
                    int valid = iy < 0 || iy >= height ? 0 : Math.clamp((long) -left * channels - within, 0, length);
                    int validEnd = iy < 0 || iy >= height ? 0
                            : Math.clamp((long) (width - left) * channels - within, valid, length);
                    Arrays.fill(panel, to + k, to + k + valid, 0f);
                    if (validEnd > valid) {
                        long from = (((long) b * height + iy) * width + left) * channels + within + valid;
                        MemorySegment.copy(image, F32, from * Float.BYTES, panel, to + k + valid, validEnd - valid);
                    }
                    Arrays.fill(panel, to + k + validEnd, to + k + length, 0f);
                    k += length;
                }
            }
        };
    }
}
