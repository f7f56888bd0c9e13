package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Results are bit-identical whatever the thread count (work is split over outputs, never over a sum), and a
 * GEMM row does not depend on the other rows of the batch.
 */
class ThreadCountTest {
    private final SplittableRandom random = new SplittableRandom(3);

    @Test
    void everyOpGivesTheSameBitsOnOneTwoAndThreeThreads() {
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, 100, 300);
        Tensor skinny = RandomTensors.uniform(random, DType.F32, 1f, 3, 300);
        Tensor fewRows = RandomTensors.uniform(random, DType.F32, 1f, 13, 300);
        Tensor weight = RandomTensors.uniform(random, DType.BF16, 1f, 300, 2730);
        Tensor bias = RandomTensors.uniform(random, DType.F32, 1f, 2730);
        Tensor image = RandomTensors.uniform(random, DType.F32, 1f, 1, 19, 23, 64);
        Tensor kernel = RandomTensors.uniform(random, DType.F16, 1f, 3, 3, 64, 40);
        Tensor toPixels = RandomTensors.uniform(random, DType.F32, 1f, 3, 3, 64, 3);
        Tensor q = RandomTensors.uniform(random, DType.F32, 1f, 2, 33, 128);
        Tensor k = RandomTensors.uniform(random, DType.F32, 1f, 2, 40, 128);
        Tensor logits = RandomTensors.uniform(random, DType.F32, 10f, 5, 16385);
        Tensor scale = RandomTensors.uniform(random, DType.F32, 1f, 64);

        List<Function<Backend, float[]>> ops = new ArrayList<>();
        ops.add(cpu -> run(cpu, 100, 2730, out -> cpu.matmul(x, weight, bias, out)));
        ops.add(cpu -> run(cpu, 3, 2730, out -> cpu.matmul(skinny, weight, null, out)));
        ops.add(cpu -> run(cpu, 13, 2730, out -> cpu.matmul(fewRows, weight, bias, out)));
        ops.add(cpu -> run(cpu, new int[] {1, 19, 23, 40}, out -> cpu.conv2d(image, kernel, null, ConvSpec.same(3), out)));
        ops.add(cpu -> run(cpu, new int[] {1, 19, 23, 3}, out -> cpu.conv2d(image, toPixels, null, ConvSpec.same(3), out)));
        ops.add(cpu -> run(cpu, new int[] {1, 9, 11, 40},
                out -> cpu.conv2d(image, kernel, null, ConvSpec.downsample(), out)));
        ops.add(cpu -> run(cpu, new int[] {2, 33, 128}, out -> cpu.attention(q, k, k,
                new AttentionSpec(4, 0.125f, 40, true, null), out)));
        ops.add(cpu -> run(cpu, new int[] {1, 19, 23, 64}, out -> cpu.groupNorm(image, 32, scale, scale, 1e-6f, out)));
        ops.add(cpu -> run(cpu, 100, 300, out -> cpu.layerNorm(x, null, null, 1e-5f, out)));
        ops.add(cpu -> run(cpu, 5, 16385, out -> cpu.softmax(logits, out)));
        ops.add(cpu -> run(cpu, 5, 16385, out -> cpu.activate(Activation.GELU, logits, out)));

        List<float[]> single = new ArrayList<>();
        try (CpuBackend cpu = new CpuBackend(1)) {
            for (Function<Backend, float[]> op : ops) {
                single.add(op.apply(cpu));
            }
        }
        for (int threads : new int[] {2, 3}) {
            try (CpuBackend cpu = new CpuBackend(threads)) {
                for (int i = 0; i < ops.size(); i++) {
                    assertArrayEquals(single.get(i), ops.get(i).apply(cpu), "op " + i + " on " + threads + " threads");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void aGemmRowIsTheSameAloneAndInABatch(DType weightType) {
        // the GEMV copies F32 and BF16 rows shorter than a page into its buffer, 90 columns as whole rows, BF16 1500
        // as two column tiles, row by row; it reads 2100 in place; 3 columns take the dot products of NarrowGemm
        for (int columns : new int[] {3, 90, 1500, 2100}) {
            checkRowsAloneAndInABatch(weightType, columns);
        }
    }

    private void checkRowsAloneAndInABatch(DType weightType, int n) {
        Tensor weight = RandomTensors.uniform(random, weightType, 1f, 700, n);
        Tensor batch = RandomTensors.uniform(random, DType.F32, 1f, 77, 700);
        try (CpuBackend cpu = new CpuBackend(2)) {
            // 77 rows take the panel path, 13 the single row tile, 2 and 1 the GEMV
            float[] all = run(cpu, 77, n, out -> cpu.matmul(batch, weight, null, out));
            float[] some = run(cpu, 13, n, out -> cpu.matmul(batch.narrow(30, 13), weight, null, out));
            for (int row : new int[] {0, 5, 30, 40, 42, 76}) {
                float[] inBatch = java.util.Arrays.copyOfRange(all, row * n, row * n + n);
                float[] alone = run(cpu, 1, n, out -> cpu.matmul(batch.narrow(row, 1), weight, null, out));
                int first = Math.min(row, 75);
                float[] pair = run(cpu, 2, n, out -> cpu.matmul(batch.narrow(first, 2), weight, null, out));
                String where = weightType + " " + n + " columns, row " + row;
                assertArrayEquals(inBatch, alone, where + " alone");
                assertArrayEquals(inBatch, java.util.Arrays.copyOfRange(pair, (row - first) * n, (row - first + 1) * n),
                        where + " in a pair");
                if (row >= 30 && row < 43) {
                    assertArrayEquals(inBatch, java.util.Arrays.copyOfRange(some, (row - 30) * n, (row - 29) * n),
                            where + " among 13");
                }
            }
        }
    }

    private static float[] run(Backend cpu, int rows, int columns, java.util.function.Consumer<Tensor> op) {
        return run(cpu, new int[] {rows, columns}, op);
    }

    private static float[] run(Backend cpu, int[] shape, java.util.function.Consumer<Tensor> op) {
        Tensor out = RandomTensors.zeros(shape);
        op.accept(out);
        return out.toFloatArray();
    }
}
