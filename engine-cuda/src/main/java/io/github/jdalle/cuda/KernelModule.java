package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The kernel source files, resources under {@code io/github/jdalle/cuda/kernels/}; each compiles to one
 * module. Every file includes {@link #HEADER}. The kernels' CPU twins are named at the top of each file.
 */
public enum KernelModule {
    /** GEMM (FP32 tiles, tensor cores for 16-bit weights), skinny-M GEMV, conv2d as implicit GEMM. */
    MATMUL("matmul.cu"),
    /** Attention over a KV cache or a full sequence, split over keys. */
    ATTENTION("attention.cu"),
    /** Layer norm, group norm (NHWC), softmax. */
    NORM("norm.cu"),
    /** Activations, add/mul/scale, embedding gather, KV-cache slot writes, nearest upsampling. */
    ELEMENTWISE("elementwise.cu"),
    /** Guidance mix, temperature, top-k, top-p and the draw, one token per image. */
    SAMPLING("sampling.cu");

    /** The header every kernel file includes. */
    public static final String HEADER = "common.cuh";

    private static final String DIRECTORY = "kernels/";

    private final String fileName;

    KernelModule(String fileName) {
        this.fileName = fileName;
    }

    /** The source file's name, e.g. {@code matmul.cu}. */
    public String fileName() {
        return fileName;
    }

    /** The file's source text. */
    public String source() {
        return resource(fileName);
    }

    /** The text of {@link #HEADER}. */
    public static String headerSource() {
        return resource(HEADER);
    }

    private static String resource(String name) {
        try (InputStream in = KernelModule.class.getResourceAsStream(DIRECTORY + name)) {
            if (in == null) {
                throw new JdalleException("kernel source " + DIRECTORY + name + " is missing from the engine-cuda jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JdalleException("cannot read kernel source " + DIRECTORY + name + ": " + e.getMessage(), e);
        }
    }
}
