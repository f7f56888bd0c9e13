package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out = A·W (+ bias)} for a weight of at most {@link #MAX_COLUMNS} columns (the VQGAN's last convolution:
 * 128 channels to 3): one dot product over all of K per row of A and column of W. The register-tiled kernels of
 * {@link Gemm} and {@link Gemv} compute {@code 2·LANES} columns at a time and would keep 3 of them, which held that
 * convolution to 5 % of the FMA peak (17 ms for a 256 × 256 picture on Zen 5).
 *
 * <p>A row's result depends on that row alone, whatever the batch size or thread count, as on the other paths; the
 * summation order is this class's own (see {@link #dots}).
 */
final class NarrowGemm {
    /** Weights of up to this many columns take this path, whatever the number of rows. */
    static final int MAX_COLUMNS = 4;

    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Rows of A packed at a time: their K values stay in L1/L2 while every column is applied to them. */
    private static final int ROWS_PER_PACK = 8;

    private NarrowGemm() {
    }

    /** As {@link Gemm#multiply}, for a weight of at most {@link #MAX_COLUMNS} columns. */
    static void multiply(ThreadPool pool, Gemm.Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out) {
        int n = weight.dim(1);
        // W's columns as rows of floats (MAX_COLUMNS, k), zero past n, widened once; the workers only read them
        float[] columns = Scratch.floats(Scratch.Slot.GEMM_B, MAX_COLUMNS * k);
        for (int c = 0; c < MAX_COLUMNS; c++) {
            for (int i = 0; i < k; i++) {
                columns[c * k + i] = c < n ? weight.getFloat((long) i * n + c) : 0f;
            }
        }
        int packs = Gemm.ceilDiv(m, ROWS_PER_PACK);
        pool.parallelFor(packs, ThreadPool.grain((long) ROWS_PER_PACK * MAX_COLUMNS * k), (first, last) -> {
            float[] rows = Scratch.floats(Scratch.Slot.GEMM_A, ROWS_PER_PACK * k);
            float[] lanes = Scratch.floats(Scratch.Slot.GEMM_TILE, 2 * MAX_COLUMNS * LANES);
            for (int p = first; p < last; p++) {
                int row = p * ROWS_PER_PACK;
                int count = Math.min(ROWS_PER_PACK, m - row);
                a.pack(row, count, 0, k, rows);
                for (int r = 0; r < count; r += 2) {
                    // a last odd row goes with itself: each row's sums are the same either way
                    int second = Math.min(r + 1, count - 1);
                    dots(rows, r * k, second * k, columns, k, n, lanes, bias, out, row + r, row + second);
                }
            }
        });
    }

    /**
     * The dot products of rows x0 and x1 of {@code rows} (offsets) with every column, plus the bias, into output
     * rows {@code out0} and {@code out1}: one pass over K with a chain of multiply-adds per row and column (lane i of
     * a chain sums the elements i, i + LANES, …), its lanes added up in a fixed order, then the last {@code k % LANES}
     * elements. {@code lanes} holds the chains on their way to {@link #finish}.
     */
    private static void dots(float[] rows, int x0, int x1, float[] columns, int k, int n, float[] lanes,
                             float[] bias, MemorySegment out, int out0, int out1) {
        FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        for (; i <= k - LANES; i += LANES) {
            FloatVector x = FloatVector.fromArray(FLOATS, rows, x0 + i);
            FloatVector y = FloatVector.fromArray(FLOATS, rows, x1 + i);
            FloatVector w = FloatVector.fromArray(FLOATS, columns, i);
            a0 = x.fma(w, a0);
            b0 = y.fma(w, b0);
            w = FloatVector.fromArray(FLOATS, columns, k + i);
            a1 = x.fma(w, a1);
            b1 = y.fma(w, b1);
            w = FloatVector.fromArray(FLOATS, columns, 2 * k + i);
            a2 = x.fma(w, a2);
            b2 = y.fma(w, b2);
            w = FloatVector.fromArray(FLOATS, columns, 3 * k + i);
            a3 = x.fma(w, a3);
            b3 = y.fma(w, b3);
        }
        // through memory: eight reductions here made the method too large for C2 to inline them, and a vector passed
        // to a method that is not inlined is boxed; reloaded one at a time in finish, they are inlined
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, LANES);
        a2.intoArray(lanes, 2 * LANES);
        a3.intoArray(lanes, 3 * LANES);
        b0.intoArray(lanes, 4 * LANES);
        b1.intoArray(lanes, 5 * LANES);
        b2.intoArray(lanes, 6 * LANES);
        b3.intoArray(lanes, 7 * LANES);
        finish(rows, x0, columns, k, n, i, lanes, 0, bias, out, out0);
        finish(rows, x1, columns, k, n, i, lanes, MAX_COLUMNS * LANES, bias, out, out1);
    }

    /**
     * Row x's dot products finished: the lanes of column c's chain (at {@code lanes[at + c·LANES]}) added up in a
     * fixed order ({@link VectorMath#sumLanes}), its elements from {@code from} on added, then the bias; into output
     * row {@code to}.
     */
    private static void finish(float[] rows, int x, float[] columns, int k, int n, int from, float[] lanes, int at,
                               float[] bias, MemorySegment out, int to) {
        for (int c = 0; c < n; c++) {
            float sum = VectorMath.sumLanes(FloatVector.fromArray(FLOATS, lanes, at + c * LANES));
            for (int i = from; i < k; i++) {
                sum = Math.fma(rows[x + i], columns[c * k + i], sum);
            }
            out.setAtIndex(F32, (long) to * n + c, bias == null ? sum : sum + bias[c]);
        }
    }
}
