package io.github.jdalle.bench;

/**
 * What one operation of a benchmark does, for the roofline table: floating-point operations and bytes
 * that must cross the memory bus at least once. {@code shape} names the problem independently of the
 * implementation, so that jdalle and its peers on the same shape are compared with each other.
 *
 * @param shape a label such as {@code "GEMM 512×512×512, 1 thread"}
 * @param flops floating-point operations per benchmark operation (a fused multiply-add counts two)
 * @param bytes bytes read plus bytes written per benchmark operation
 */
public record Work(String shape, double flops, double bytes) {

    /** A GEMM {@code (m, k) · (k, n)} with weights of {@code weightBytes} per element and F32 activations. */
    public static Work gemm(String shape, long m, long k, long n, int weightBytes) {
        return new Work(shape, 2.0 * m * k * n, 4.0 * (m * k + m * n) + (double) weightBytes * k * n);
    }

    /** The common label suffix for a thread count parameter, e.g. {@code ", 1 thread"}. */
    public static String threads(String threads) {
        return threads.equals("1") ? ", 1 thread" : ", " + threads + " threads";
    }
}
