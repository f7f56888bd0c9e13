package io.github.jdalle.core.cpu;

import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import java.util.SplittableRandom;

/**
 * A quick timing run of the main kernels (not a test, and no substitute for the JMH benchmarks): GEMM
 * GFLOP/s, decoder-shaped GEMM GB/s of weights streamed, VQGAN-sized conv GFLOP/s. Run with
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * io.github.jdalle.core.cpu.KernelTimings [threads…]}.
 */
public final class KernelTimings {
    private KernelTimings() {
    }

    public static void main(String[] args) {
        int[] threadCounts = args.length == 0 ? new int[] {1, 2} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        SplittableRandom random = new SplittableRandom(1);
        for (int threads : threadCounts) {
            try (CpuBackend cpu = new CpuBackend(threads)) {
                System.out.println("== " + cpu.name());
                gemm(cpu, random, 2048, 2048, 2048);
                for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                    for (int k : new int[] {1024, 2048}) {
                        for (int m : new int[] {1, 2, 8, 32}) {
                            skinny(cpu, random, m, k, 16385, type);
                        }
                    }
                }
                conv(cpu, random, 256, 128, 128);
            }
        }
    }

    private static void gemm(CpuBackend cpu, SplittableRandom random, int m, int k, int n) {
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, m, k);
        Tensor w = RandomTensors.uniform(random, DType.F32, 1f, k, n);
        Tensor out = RandomTensors.zeros(m, n);
        double seconds = best(5, () -> cpu.matmul(x, w, null, out));
        System.out.printf("gemm %d×%d×%d F32: %.1f GFLOP/s%n", m, k, n, 2.0 * m * k * n / seconds / 1e9);
    }

    private static void skinny(CpuBackend cpu, SplittableRandom random, int m, int k, int n, DType type) {
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, m, k);
        Tensor w = RandomTensors.uniform(random, type, 0.05f, k, n);
        Tensor out = RandomTensors.zeros(m, n);
        double seconds = best(8, () -> cpu.matmul(x, w, null, out));
        System.out.printf("matmul M=%d K=%d N=%d %s: %.1f GB/s, %.1f GFLOP/s%n", m, k, n, type,
                w.byteSize() / seconds / 1e9, 2.0 * m * k * n / seconds / 1e9);
    }

    private static void conv(CpuBackend cpu, SplittableRandom random, int size, int in, int outChannels) {
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, 1, size, size, in);
        Tensor kernel = RandomTensors.uniform(random, DType.F32, 0.1f, 3, 3, in, outChannels);
        Tensor out = RandomTensors.zeros(1, size, size, outChannels);
        double seconds = best(3, () -> cpu.conv2d(x, kernel, null, ConvSpec.same(3), out));
        System.out.printf("conv3x3 %d×%d×%d→%d: %.1f GFLOP/s%n", size, size, in, outChannels,
                2.0 * size * size * 9 * in * outChannels / seconds / 1e9);
    }

    private static double best(int repetitions, Runnable run) {
        run.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            run.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return best;
    }
}
