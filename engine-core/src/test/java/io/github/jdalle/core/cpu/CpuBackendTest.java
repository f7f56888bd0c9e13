package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op of the Vector API backend against {@link ScalarReference} on random inputs, on awkward sizes
 * (1, 7, 90, 2730, 16385; row counts that are not a multiple of the register tile; depths that cross the
 * packing block) and with F32, F16 and BF16 weights. Sums are compared with a tolerance that scales with the
 * number of terms (the kernels use fused multiply-adds in blocks, the reference plain float sums);
 * operations without sums must match exactly.
 */
class CpuBackendTest {
    private static final CpuBackend CPU = new CpuBackend(2);
    private static final Backend REFERENCE = new ScalarReference();
    private static final DType[] WEIGHT_TYPES = {DType.F32, DType.F16, DType.BF16};

    private final SplittableRandom random = new SplittableRandom(20240611);

    @AfterAll
    static void close() {
        CPU.close();
    }

    // ---- matmul ------------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void matmulMatchesReferenceOnAwkwardShapes(DType weightType) {
        int[][] shapes = {  // M, K, N
            {1, 1, 1}, {1, 7, 90}, {7, 90, 7}, {2, 2730, 90}, {3, 600, 1027}, {2, 1030, 4100}, {8, 300, 33}, {1, 1024, 16385}, {13, 257, 100},
            {32, 90, 2730}, {33, 513, 47}, {97, 64, 40}, {200, 260, 17}, {3, 1152, 3}, {70, 1152, 3}, {9, 77, 4},
            {41, 5, 2}, {8, 300, 5}};
        for (int[] shape : shapes) {
            for (boolean withBias : new boolean[] {false, true}) {
                checkMatmul(shape[0], shape[1], shape[2], weightType, withBias);
            }
        }
    }

    private void checkMatmul(int m, int k, int n, DType weightType, boolean withBias) {
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, m, k);
        Tensor weight = RandomTensors.uniform(random, weightType, 1f, k, n);
        Tensor bias = withBias ? RandomTensors.uniform(random, weightType, 1f, n) : null;
        Tensor expected = RandomTensors.zeros(m, n);
        Tensor actual = RandomTensors.zeros(m, n);
        REFERENCE.matmul(x, weight, bias, expected);
        CPU.matmul(x, weight, bias, actual);
        assertClose(expected.toFloatArray(), actual.toFloatArray(), sumTolerance(k), 1e-5,
                "matmul " + m + "×" + k + "×" + n + " " + weightType + (withBias ? " + bias" : ""));
    }

    @Test
    void matmulFlattensLeadingDimensions() {
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, 2, 3, 7);
        Tensor weight = RandomTensors.uniform(random, DType.F32, 1f, 7, 5);
        Tensor expected = RandomTensors.zeros(2, 3, 5);
        Tensor actual = RandomTensors.zeros(2, 3, 5);
        REFERENCE.matmul(x, weight, null, expected);
        CPU.matmul(x, weight, null, actual);
        assertClose(expected.toFloatArray(), actual.toFloatArray(), sumTolerance(7), 1e-6, "matmul (2, 3, 7)");
    }

    /** One call over several weights gives each weight's own matmul, bit for bit, on the GEMV and the GEMM paths. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void matmulEachIsOneMatmulPerWeight(DType weightType) {
        int[][] shapes = {{1, 7, 5, 90, 33}, {2, 1030, 1024, 4100, 100}, {8, 300, 33, 16, 1027}, {9, 257, 64, 40, 7},
            {2, 2730, 1024, 1024, 1024}};  // M, K, then each weight's N
        for (int[] shape : shapes) {
            int m = shape[0];
            int k = shape[1];
            Tensor x = RandomTensors.uniform(random, DType.F32, 1f, m, k);
            Tensor[] weights = new Tensor[shape.length - 2];
            Tensor[] outs = new Tensor[weights.length];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = RandomTensors.uniform(random, weightType, 1f, k, shape[i + 2]);
                outs[i] = RandomTensors.zeros(m, shape[i + 2]);
            }
            CPU.matmulEach(x, weights, outs);
            for (int i = 0; i < weights.length; i++) {
                Tensor alone = RandomTensors.zeros(m, shape[i + 2]);
                CPU.matmul(x, weights[i], null, alone);
                assertArrayEquals(alone.toFloatArray(), outs[i].toFloatArray(),
                        "weight " + i + " of " + m + "×" + k + " " + weightType);
            }
        }
        Tensor x = RandomTensors.zeros(2, 7);
        assertThrows(JdalleException.class, () -> CPU.matmulEach(x, new Tensor[] {RandomTensors.zeros(7, 3)},
                new Tensor[0]));
        assertThrows(JdalleException.class, () -> CPU.matmulEach(x, new Tensor[] {RandomTensors.zeros(6, 3)},
                new Tensor[] {RandomTensors.zeros(2, 3)}));
    }

    @Test
    void matmulRejectsMismatchedShapes() {
        Tensor x = RandomTensors.zeros(2, 7);
        assertThrows(JdalleException.class, () -> CPU.matmul(x, RandomTensors.zeros(6, 3), null, RandomTensors.zeros(2, 3)));
        assertThrows(JdalleException.class, () -> CPU.matmul(x, RandomTensors.zeros(7, 3), null, RandomTensors.zeros(2, 4)));
        assertThrows(JdalleException.class,
                () -> CPU.matmul(x, RandomTensors.zeros(7, 3), RandomTensors.zeros(4), RandomTensors.zeros(2, 3)));
    }

    // ---- attention ---------------------------------------------------------------------------------------

    @Test
    void attentionMatchesReference() {
        // batch, queries, key rows, width, heads, key count (-1 = all), causal, masked
        int[][] cases = {
            {2, 1, 256, 256, 4, 37, 1, 0},    // decoder step over a partly filled KV cache
            {2, 1, 64, 128, 2, -1, 0, 1},     // decoder cross-attention with the text mask
            {2, 64, 64, 128, 2, -1, 0, 1},    // encoder self-attention with key padding
            {2, 77, 77, 96, 3, -1, 1, 0},     // CLIP text: causal
            {1, 50, 50, 64, 2, -1, 0, 0},     // CLIP vision
            {1, 256, 256, 512, 1, -1, 0, 0},  // VQGAN mid-block: one head of 512
            {3, 5, 9, 21, 3, 7, 1, 1},        // head size 7, causal over the first 7 keys, masked
            {1, 7, 7, 90, 1, -1, 1, 1}};
        for (int[] c : cases) {
            checkAttention(c[0], c[1], c[2], c[3], c[4], c[5], c[6] == 1, c[7] == 1);
        }
    }

    private void checkAttention(int batch, int queries, int keyRows, int width, int heads, int keyCount,
                                boolean causal, boolean masked) {
        Tensor q = RandomTensors.uniform(random, DType.F32, 2f, batch, queries, width);
        Tensor k = RandomTensors.uniform(random, DType.F32, 2f, batch, keyRows, width);
        Tensor v = RandomTensors.uniform(random, DType.F32, 1f, batch, keyRows, width);
        AttentionSpec spec = new AttentionSpec(heads, (float) (1 / Math.sqrt(width / heads)), keyCount, causal, null);
        if (masked) {
            Tensor mask = RandomTensors.ints(random, 2, batch, keyRows);
            mask.setInt(0, 1);  // every batch entry keeps its first key
            for (int b = 1; b < batch; b++) {
                mask.setInt((long) b * keyRows, 1);
            }
            spec = spec.withKeyMask(mask);
        }
        Tensor expected = RandomTensors.zeros(batch, queries, width);
        Tensor actual = RandomTensors.zeros(batch, queries, width);
        REFERENCE.attention(q, k, v, spec, expected);
        CPU.attention(q, k, v, spec, actual);
        assertClose(expected.toFloatArray(), actual.toFloatArray(), 2e-6, 2e-5,
                "attention " + batch + "×" + queries + "×" + keyRows + "×" + width + "/" + heads);
    }

    @Test
    void attentionOfAFullyMaskedQueryIsZero() {
        Tensor q = RandomTensors.uniform(random, DType.F32, 1f, 1, 2, 8);
        Tensor k = RandomTensors.uniform(random, DType.F32, 1f, 1, 3, 8);
        Tensor mask = Tensor.ofInts(new int[] {0, 0, 0}, 1, 3);
        Tensor out = RandomTensors.uniform(random, DType.F32, 1f, 1, 2, 8);
        CPU.attention(q, k, k, AttentionSpec.of(1, 1f).withKeyMask(mask), out);
        assertArrayEquals(new float[16], out.toFloatArray());
    }

    // ---- normalization and element-wise -----------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void layerNormMatchesReference(DType weightType) {
        for (int width : new int[] {1, 7, 90, 2730}) {
            for (int variant = 0; variant < 4; variant++) {
                Tensor x = RandomTensors.uniform(random, DType.F32, 3f, 7, width);
                shiftRows(x, 5f);
                Tensor scale = (variant & 1) == 0 ? null : RandomTensors.uniform(random, weightType, 2f, width);
                Tensor bias = (variant & 2) == 0 ? null : RandomTensors.uniform(random, weightType, 1f, width);
                Tensor expected = RandomTensors.zeros(7, width);
                REFERENCE.layerNorm(x, scale, bias, 1e-5f, expected);
                CPU.layerNorm(x, scale, bias, 1e-5f, x);  // in place
                assertClose(expected.toFloatArray(), x.toFloatArray(), 1e-5, 1e-5,
                        "layerNorm width " + width + " variant " + variant + " " + weightType);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void groupNormMatchesReference(DType weightType) {
        int[][] shapes = {{2, 5, 5, 64}, {1, 17, 17, 96}, {1, 33, 31, 128}, {2, 1, 1, 32}, {1, 3, 7, 256}};
        for (int[] shape : shapes) {
            Tensor x = RandomTensors.uniform(random, DType.F32, 2f, shape);
            shiftRows(x, 1f);
            int channels = shape[3];
            Tensor scale = RandomTensors.uniform(random, weightType, 2f, channels);
            Tensor bias = RandomTensors.uniform(random, weightType, 1f, channels);
            Tensor expected = RandomTensors.zeros(shape);
            Tensor actual = RandomTensors.zeros(shape);
            REFERENCE.groupNorm(x, 32, scale, bias, 1e-6f, expected);
            CPU.groupNorm(x, 32, scale, bias, 1e-6f, actual);
            assertClose(expected.toFloatArray(), actual.toFloatArray(), 1e-5, 1e-5,
                    "groupNorm " + java.util.Arrays.toString(shape) + " " + weightType);
        }
    }

    @Test
    void softmaxMatchesReference() {
        for (int width : new int[] {1, 7, 90, 16385}) {
            Tensor x = RandomTensors.uniform(random, DType.F32, 20f, 3, width);
            Tensor expected = RandomTensors.zeros(3, width);
            REFERENCE.softmax(x, expected);
            CPU.softmax(x, x);
            assertClose(expected.toFloatArray(), x.toFloatArray(), 1e-9, 2e-6, "softmax width " + width);
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationsMatchReference(Activation function) {
        for (int count : new int[] {1, 7, 90, 16385}) {
            Tensor x = RandomTensors.uniform(random, DType.F32, 12f, count);
            Tensor expected = RandomTensors.zeros(count);
            Tensor actual = RandomTensors.zeros(count);
            REFERENCE.activate(function, x, expected);
            CPU.activate(function, x, actual);
            assertClose(expected.toFloatArray(), actual.toFloatArray(), 1e-30, 1e-6, function + " of " + count);
        }
    }

    @Test
    void addMulAndScaleAreExact() {
        for (int count : new int[] {1, 7, 90, 16385}) {
            Tensor a = RandomTensors.uniform(random, DType.F32, 3f, count);
            Tensor b = RandomTensors.uniform(random, DType.F32, 3f, count);
            for (String op : new String[] {"add", "mul", "scale"}) {
                Tensor expected = RandomTensors.zeros(count);
                Tensor actual = RandomTensors.zeros(count);
                switch (op) {
                    case "add" -> {
                        REFERENCE.add(a, b, expected);
                        CPU.add(a, b, actual);
                    }
                    case "mul" -> {
                        REFERENCE.mul(a, b, expected);
                        CPU.mul(a, b, actual);
                    }
                    default -> {
                        REFERENCE.scale(a, -0.37f, expected);
                        CPU.scale(a, -0.37f, actual);
                    }
                }
                assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), op + " of " + count);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void addBroadcastsARowOfAnyDtype(DType rowType) {
        for (int width : new int[] {1, 7, 90, 2730}) {
            Tensor a = RandomTensors.uniform(random, DType.F32, 3f, 5, width);
            Tensor row = RandomTensors.uniform(random, rowType, 3f, width);
            Tensor expected = RandomTensors.zeros(5, width);
            REFERENCE.add(a, row, expected);
            CPU.add(a, row, a);  // in place
            assertArrayEquals(expected.toFloatArray(), a.toFloatArray(), "add row of " + width + " " + rowType);
        }
    }

    // ---- convolution -------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16"})
    void conv2dMatchesReference(DType weightType) {
        // batch, height, width, in channels, kernel size, out channels, spec
        Object[][] cases = {
            {1, 9, 7, 5, 3, 18, ConvSpec.same(3)},
            {2, 6, 5, 16, 3, 33, ConvSpec.same(3)},
            {1, 16, 16, 64, 3, 64, ConvSpec.same(3)},
            {2, 4, 5, 16, 1, 24, ConvSpec.same(1)},
            {1, 8, 8, 8, 3, 8, ConvSpec.downsample()},
            {1, 7, 9, 3, 3, 5, ConvSpec.downsample()},
            {2, 8, 12, 3, 4, 10, ConvSpec.patches(4)},
            {1, 64, 64, 3, 32, 12, ConvSpec.patches(32)},
            {1, 3, 3, 2, 3, 1, ConvSpec.same(3)},
            {2, 11, 13, 128, 3, 3, ConvSpec.same(3)}};
        for (Object[] c : cases) {
            int batch = (int) c[0];
            int height = (int) c[1];
            int width = (int) c[2];
            int in = (int) c[3];
            int size = (int) c[4];
            int out = (int) c[5];
            ConvSpec spec = (ConvSpec) c[6];
            Tensor x = RandomTensors.uniform(random, DType.F32, 1f, batch, height, width, in);
            Tensor kernel = RandomTensors.uniform(random, weightType, 1f, size, size, in, out);
            Tensor bias = RandomTensors.uniform(random, weightType, 1f, out);
            int outHeight = spec.outputSize(height, size, true);
            int outWidth = spec.outputSize(width, size, false);
            Tensor expected = RandomTensors.zeros(batch, outHeight, outWidth, out);
            Tensor actual = RandomTensors.zeros(batch, outHeight, outWidth, out);
            REFERENCE.conv2d(x, kernel, bias, spec, expected);
            CPU.conv2d(x, kernel, bias, spec, actual);
            assertClose(expected.toFloatArray(), actual.toFloatArray(), sumTolerance(size * size * in), 1e-5,
                    "conv2d " + batch + "×" + height + "×" + width + "×" + in + " k" + size + " → " + out + " "
                            + spec + " " + weightType);
        }
    }

    @Test
    void upsampleGatherAndWriteSlotAreExact() {
        Tensor image = RandomTensors.uniform(random, DType.F32, 1f, 2, 3, 5, 7);
        Tensor expected = RandomTensors.zeros(2, 6, 10, 7);
        Tensor actual = RandomTensors.zeros(2, 6, 10, 7);
        REFERENCE.upsampleNearest2x(image, expected);
        CPU.upsampleNearest2x(image, actual);
        assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), "upsample");

        for (DType tableType : WEIGHT_TYPES) {
            Tensor table = RandomTensors.uniform(random, tableType, 1f, 90, 7);
            Tensor ids = Tensor.ofInts(new int[] {0, 89, 5, 5, 17, 3}, 2, 3);
            Tensor gatheredExpected = RandomTensors.zeros(2, 3, 7);
            Tensor gatheredActual = RandomTensors.zeros(2, 3, 7);
            REFERENCE.gather(table, ids, gatheredExpected);
            CPU.gather(table, ids, gatheredActual);
            assertArrayEquals(gatheredExpected.toFloatArray(), gatheredActual.toFloatArray(), "gather " + tableType);
        }

        Tensor rows = RandomTensors.uniform(random, DType.F32, 1f, 3, 1, 9);
        Tensor cacheExpected = RandomTensors.uniform(random, DType.F32, 1f, 3, 4, 9);
        Tensor cacheActual = RandomTensors.zeros(3, 4, 9);
        CPU.copy(cacheExpected, cacheActual);
        REFERENCE.writeSlot(rows, cacheExpected, 2);
        CPU.writeSlot(rows, cacheActual, 2);
        assertArrayEquals(cacheExpected.toFloatArray(), cacheActual.toFloatArray(), "writeSlot");
    }

    @Test
    void gatherNamesAnInvalidId() {
        Tensor table = RandomTensors.zeros(4, 3);
        JdalleException e = assertThrows(JdalleException.class,
                () -> CPU.gather(table, Tensor.ofInts(new int[] {1, 4}, 2), RandomTensors.zeros(2, 3)));
        assertTrue(e.getMessage().contains("id 4 at position 1"), e.getMessage());
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    /** Absolute tolerance of a sum of {@code terms} unit-sized products, rounded differently by the two sides. */
    private static double sumTolerance(int terms) {
        return 2e-7 * terms + 1e-6;
    }

    /** Adds a random offset to each row, so that normalisation must handle a mean far from zero. */
    private void shiftRows(Tensor x, float scale) {
        int width = x.columns();
        for (int r = 0; r < x.rows(); r++) {
            float offset = (float) ((random.nextDouble() * 2 - 1) * scale);
            for (int c = 0; c < width; c++) {
                long i = (long) r * width + c;
                x.setFloat(i, x.getFloat(i) + offset);
            }
        }
    }
}
