package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A quick timing run of the main kernels, under a minute per thread count (not a test, and no substitute for the JMH
 * benchmarks in {@code benchmarks}): square GEMM GFLOP/s, decoder-shaped GEMM GB/s of weights streamed,
 * VQGAN-sized conv and attention, norms and GELU. Each figure is the best of repeated calls after a warm-up,
 * so a busy machine lowers it less than an average. Run with
 * {@code java --add-modules jdk.incubator.vector -cp engine-core/target/classes:engine-core/target/test-classes
 * io.github.jdalle.core.cpu.KernelTimings [threads…]}.
 */
public final class KernelTimings {
    private static final SplittableRandom RANDOM = new SplittableRandom(1);

    private KernelTimings() {
    }

    public static void main(String[] args) {
        int[] threadCounts = args.length == 0 ? new int[] {1, 2} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (int threads : threadCounts) {
            try (CpuBackend cpu = new CpuBackend(threads)) {
                System.out.println("== " + cpu.name());
                gemm(cpu, 2048, 2048, 2048);
                for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                    for (int k : type == DType.F16 ? new int[] {2048} : new int[] {1024, 2048}) {
                        for (int m : new int[] {1, 2, 8}) {
                            decoderGemm(cpu, m, k, 16385, type);
                        }
                    }
                }
                conv(cpu, 256, 128, 128);
                attention(cpu, "decoder step, 2 × 1 query, 256 keys, 16 heads", 2, 1, 256, 1024, 16);
                attention(cpu, "VQGAN, 256 × 256, one head of 512", 1, 256, 256, 512, 1);
                norms(cpu);
            }
        }
    }

    private static void gemm(CpuBackend cpu, int m, int k, int n) {
        Tensor x = RandomTensors.uniform(RANDOM, DType.F32, 1f, m, k);
        Tensor w = RandomTensors.uniform(RANDOM, DType.F32, 1f, k, n);
        Tensor out = RandomTensors.zeros(m, n);
        double seconds = best(() -> cpu.matmul(x, w, null, out));
        System.out.printf("gemm %d×%d×%d F32: %.1f GFLOP/s%n", m, k, n, 2.0 * m * k * n / seconds / 1e9);
    }

    private static void decoderGemm(CpuBackend cpu, int m, int k, int n, DType type) {
        Tensor x = RandomTensors.uniform(RANDOM, DType.F32, 1f, m, k);
        Tensor w = RandomTensors.uniform(RANDOM, type, 0.05f, k, n);
        Tensor out = RandomTensors.zeros(m, n);
        double seconds = best(() -> cpu.matmul(x, w, null, out));
        System.out.printf("matmul M=%d K=%d N=%d %s: %.1f GB/s of weights, %.1f GFLOP/s%n", m, k, n, type,
                w.byteSize() / seconds / 1e9, 2.0 * m * k * n / seconds / 1e9);
    }

    private static void conv(CpuBackend cpu, int size, int in, int outChannels) {
        Tensor x = RandomTensors.uniform(RANDOM, DType.F32, 1f, 1, size, size, in);
        Tensor kernel = RandomTensors.uniform(RANDOM, DType.F32, 0.1f, 3, 3, in, outChannels);
        Tensor out = RandomTensors.zeros(1, size, size, outChannels);
        double seconds = best(() -> cpu.conv2d(x, kernel, null, ConvSpec.same(3), out));
        System.out.printf("conv3x3 %d×%d×%d→%d: %.1f GFLOP/s%n", size, size, in, outChannels,
                2.0 * size * size * 9 * in * outChannels / seconds / 1e9);
    }

    private static void attention(CpuBackend cpu, String what, int batch, int queries, int keys, int width, int heads) {
        Tensor q = RandomTensors.uniform(RANDOM, DType.F32, 1f, batch, queries, width);
        Tensor k = RandomTensors.uniform(RANDOM, DType.F32, 1f, batch, keys, width);
        Tensor out = RandomTensors.zeros(batch, queries, width);
        AttentionSpec spec = AttentionSpec.of(heads, (float) (1 / Math.sqrt(width / heads)));
        double seconds = best(() -> cpu.attention(q, k, k, spec, out));
        System.out.printf("attention %s: %.1f µs, %.1f GFLOP/s%n", what, seconds * 1e6,
                4.0 * batch * queries * keys * width / seconds / 1e9);
    }

    private static void norms(CpuBackend cpu) {
        Tensor image = RandomTensors.uniform(RANDOM, DType.F32, 1f, 1, 256, 256, 128);
        Tensor scale = RandomTensors.uniform(RANDOM, DType.F32, 1f, 128);
        Tensor normalized = RandomTensors.zeros(1, 256, 256, 128);
        double groupNorm = best(() -> cpu.groupNorm(image, 32, scale, scale, 1e-6f, normalized));
        double gelu = best(() -> cpu.activate(Activation.GELU, image, normalized));
        Tensor rows = RandomTensors.uniform(RANDOM, DType.F32, 1f, 128, 2048);
        double layerNorm = best(() -> cpu.layerNorm(rows, null, null, 1e-5f, rows));
        double bytes = image.byteSize();
        System.out.printf("groupNorm 256×256×128: %.1f GB/s read; GELU: %.2f Gelem/s; layerNorm 128×2048: %.1f µs%n",
                3 * bytes / groupNorm / 1e9, image.elementCount() / gelu / 1e9, layerNorm * 1e6);
    }

    /** The fastest of repeated calls over about a second, after half a second of warm-up. */
    private static double best(Runnable run) {
        long warmUp = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warmUp) {
            run.run();
        }
        double best = Double.MAX_VALUE;
        long end = System.nanoTime() + 1_000_000_000L;
        for (int i = 0; i < 3 || System.nanoTime() < end; i++) {
            long start = System.nanoTime();
            run.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return best;
    }
}
