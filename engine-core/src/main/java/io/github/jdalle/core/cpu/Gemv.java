package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out = A·W (+ bias)} for a few rows of A (a decoder step: one or two rows per image), where the cost
 * is streaming W from memory. W is read once, four rows at a time over a range of columns (long contiguous
 * runs, several streams in flight), widened into an L1 buffer, and applied to every row of A while it is
 * there. The threads split the columns.
 *
 * <p>The arithmetic is the GEMM's, element for element: for each block of {@link Gemm#KC} weight rows a
 * chain of fused multiply-adds from zero, added to the previous blocks in order. A row's result is therefore
 * bit-identical whether it goes through here or through {@link Gemm}, alone or in a batch, on any number of
 * threads.
 */
final class Gemv {
    /** Up to this many rows take this path. */
    static final int MAX_ROWS = 8;

    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    /** Weight rows widened and applied together. */
    private static final int ROW_GROUP = 4;
    /** Columns per tile at most: four widened rows of 512 floats are 8 KB, in L1 with the sums. */
    private static final int MAX_TILE_COLUMNS = 512;

    private Gemv() {
    }

    /** As {@link Gemm#multiply}, for m ≤ {@link #MAX_ROWS}. */
    static void multiply(ThreadPool pool, Gemm.Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out) {
        int n = weight.dim(1);
        int width = Math.clamp(Gemm.ceilDiv(Gemm.ceilDiv(n, 4 * pool.threads()), LANES) * LANES, LANES,
                MAX_TILE_COLUMNS);
        int tiles = Gemm.ceilDiv(n, width);
        pool.parallelFor(tiles, ThreadPool.grain((long) (m + 2) * width * k), (first, last) -> {
            for (int t = first; t < last; t++) {
                tile(a, m, k, weight, bias, out, n, t * width, Math.min(width, n - t * width));
            }
        });
    }

    private static void tile(Gemm.Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out, int n,
                             int column, int columns) {
        float[] rows = Scratch.floats(Scratch.Slot.GEMM_A, m * k + m * ROW_GROUP);
        float[] sums = Scratch.floats(Scratch.Slot.GEMM_TILE, m * columns);
        float[] weights = Scratch.floats(Scratch.Slot.GEMM_B, ROW_GROUP * columns);
        int group = m * k;  // the current group's x values, (m, ROW_GROUP), follow the rows
        a.pack(0, m, 0, k, rows);
        for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
            int end = Math.min(k, k0 + Gemm.KC);
            Arrays.fill(sums, 0, m * columns, 0f);
            for (int p = k0; p < end; p += ROW_GROUP) {
                // a short last group is padded with zero weights and zero x: fma(0, 0, s) = s exactly
                int used = Math.min(ROW_GROUP, end - p);
                for (int g = 0; g < ROW_GROUP; g++) {
                    if (g < used) {
                        Widening.toFloats(weight.segment(), weight.dtype(), (long) (p + g) * n + column, weights,
                                g * columns, columns);
                    } else {
                        Arrays.fill(weights, g * columns, (g + 1) * columns, 0f);
                    }
                    for (int r = 0; r < m; r++) {
                        rows[group + r * ROW_GROUP + g] = g < used ? rows[r * k + p + g] : 0f;
                    }
                }
                for (int r = 0; r < m; ) {
                    int height = m - r >= 4 ? 4 : m - r >= 2 ? 2 : 1;
                    int x = group + r * ROW_GROUP;
                    switch (height) {
                        case 4 -> rows4(rows, x, weights, columns, sums, r * columns);
                        case 2 -> rows2(rows, x, weights, columns, sums, r * columns);
                        default -> rows1(rows, x, weights, columns, sums, r * columns);
                    }
                    r += height;
                }
            }
            Gemm.accumulate(sums, columns, m, out, n, 0, column, columns, k0 == 0, bias);
        }
    }

    // For each column c and row r: s = sums[r][c]; s = fma(x[r][g], w[g][c], s) for g = 0, 1, 2, 3 in order.
    // x[r][g] is x[at + 4r + g], w[g][c] is w[g·columns + c]. One kernel per row count: the accumulators must be
    // registers, and for one or two rows the broadcast x values stay in registers too.

    private static void rows4(float[] x, int at, float[] w, int columns, float[] sums, int to) {
        int c = 0;
        for (; c <= columns - LANES; c += LANES) {
            FloatVector s0 = FloatVector.fromArray(FLOATS, sums, to + c);
            FloatVector s1 = FloatVector.fromArray(FLOATS, sums, to + columns + c);
            FloatVector s2 = FloatVector.fromArray(FLOATS, sums, to + 2 * columns + c);
            FloatVector s3 = FloatVector.fromArray(FLOATS, sums, to + 3 * columns + c);
            // one weight row at a time across the four rows: four independent chains hide the FMA latency
            for (int g = 0; g < ROW_GROUP; g++) {
                FloatVector weight = FloatVector.fromArray(FLOATS, w, g * columns + c);
                s0 = FloatVector.broadcast(FLOATS, x[at + g]).fma(weight, s0);
                s1 = FloatVector.broadcast(FLOATS, x[at + 4 + g]).fma(weight, s1);
                s2 = FloatVector.broadcast(FLOATS, x[at + 8 + g]).fma(weight, s2);
                s3 = FloatVector.broadcast(FLOATS, x[at + 12 + g]).fma(weight, s3);
            }
            s0.intoArray(sums, to + c);
            s1.intoArray(sums, to + columns + c);
            s2.intoArray(sums, to + 2 * columns + c);
            s3.intoArray(sums, to + 3 * columns + c);
        }
        tail(x, at, 4, w, columns, sums, to, c);
    }

    private static void rows2(float[] x, int at, float[] w, int columns, float[] sums, int to) {
        FloatVector x00 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x01 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x02 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x03 = FloatVector.broadcast(FLOATS, x[at + 3]);
        FloatVector x10 = FloatVector.broadcast(FLOATS, x[at + 4]);
        FloatVector x11 = FloatVector.broadcast(FLOATS, x[at + 5]);
        FloatVector x12 = FloatVector.broadcast(FLOATS, x[at + 6]);
        FloatVector x13 = FloatVector.broadcast(FLOATS, x[at + 7]);
        int c = 0;
        for (; c <= columns - LANES; c += LANES) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, w, c);
            FloatVector w1 = FloatVector.fromArray(FLOATS, w, columns + c);
            FloatVector w2 = FloatVector.fromArray(FLOATS, w, 2 * columns + c);
            FloatVector w3 = FloatVector.fromArray(FLOATS, w, 3 * columns + c);
            int s0 = to + c;
            int s1 = to + columns + c;
            x03.fma(w3, x02.fma(w2, x01.fma(w1, x00.fma(w0, FloatVector.fromArray(FLOATS, sums, s0))))).intoArray(sums, s0);
            x13.fma(w3, x12.fma(w2, x11.fma(w1, x10.fma(w0, FloatVector.fromArray(FLOATS, sums, s1))))).intoArray(sums, s1);
        }
        tail(x, at, 2, w, columns, sums, to, c);
    }

    private static void rows1(float[] x, int at, float[] w, int columns, float[] sums, int to) {
        FloatVector x0 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x1 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x2 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x3 = FloatVector.broadcast(FLOATS, x[at + 3]);
        int c = 0;
        for (; c <= columns - LANES; c += LANES) {
            x3.fma(FloatVector.fromArray(FLOATS, w, 3 * columns + c),
                    x2.fma(FloatVector.fromArray(FLOATS, w, 2 * columns + c),
                    x1.fma(FloatVector.fromArray(FLOATS, w, columns + c),
                    x0.fma(FloatVector.fromArray(FLOATS, w, c), FloatVector.fromArray(FLOATS, sums, to + c)))))
                    .intoArray(sums, to + c);
        }
        tail(x, at, 1, w, columns, sums, to, c);
    }

    /** The columns past the last full vector, with the same fused multiply-adds as the vector lanes. */
    private static void tail(float[] x, int at, int height, float[] w, int columns, float[] sums, int to, int from) {
        for (int r = 0; r < height; r++) {
            for (int c = from; c < columns; c++) {
                float sum = sums[to + r * columns + c];
                for (int g = 0; g < ROW_GROUP; g++) {
                    sum = Math.fma(x[at + ROW_GROUP * r + g], w[g * columns + c], sum);
                }
                sums[to + r * columns + c] = sum;
            }
        }
    }
}
