package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static io.github.jdalle.core.cpu.Widening.LE;

/**
 * {@code out = A·W (+ bias)} for one to three rows of A (a decoder step for one image), where the cost is
 * streaming W from memory. W is read once, four rows at a time over a range of up to 512 columns (long
 * contiguous runs, four streams in flight), F32 in place and 16-bit weights widened into an L1 buffer, and
 * applied to every row of A while it is there. The threads split the columns.
 *
 * <p>The arithmetic is the GEMM's, element for element: for each block of {@link Gemm#KC} weight rows a
 * chain of fused multiply-adds from zero, added to the previous blocks in order. A row's result is therefore
 * bit-identical whether it goes through here or through {@link Gemm}, alone or in a batch, on any number of
 * threads.
 */
final class Gemv {
    /**
     * Up to this many rows take this path (one image: its conditioned and unconditioned rows). With more, the
     * GEMM's register tile, which loads less per multiply-add, is faster even when memory-bound.
     */
    static final int MAX_ROWS = 3;

    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
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
        // off heap like the weights, so that the kernels see one kind of memory segment
        MemorySegment buffer = Scratch.segment(Scratch.Slot.GEMM_B, (long) ROW_GROUP * columns * Float.BYTES);
        boolean direct = weight.dtype() == DType.F32;
        int group = m * k;  // the current group's x values, (m, ROW_GROUP), follow the rows
        a.pack(0, m, 0, k, rows);
        for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
            int end = Math.min(k, k0 + Gemm.KC);
            Arrays.fill(sums, 0, m * columns, 0f);
            for (int p = k0; p < end; p += ROW_GROUP) {
                int used = Math.min(ROW_GROUP, end - p);
                for (int r = 0; r < m; r++) {
                    for (int g = 0; g < ROW_GROUP; g++) {
                        rows[group + r * ROW_GROUP + g] = g < used ? rows[r * k + p + g] : 0f;
                    }
                }
                // F32 weights are read in place; others (and a short last group, padded with zero weights
                // to go with its zero x: fma(0, 0, s) = s exactly) are widened into the buffer first
                MemorySegment w = buffer;
                long at = 0;
                long stride = (long) columns * Float.BYTES;
                if (direct && used == ROW_GROUP) {
                    w = weight.segment();
                    at = ((long) p * n + column) * Float.BYTES;
                    stride = (long) n * Float.BYTES;
                } else {
                    for (int g = 0; g < ROW_GROUP; g++) {
                        if (g < used) {
                            Widening.toFloats(weight.segment(), weight.dtype(), (long) (p + g) * n + column, buffer,
                                    g * stride, columns);
                        } else {
                            buffer.asSlice(g * stride, stride).fill((byte) 0);
                        }
                    }
                }
                for (int r = 0; r < m; r += 2) {
                    int x = group + r * ROW_GROUP;
                    if (m - r >= 2) {
                        rows2(rows, x, w, at, stride, columns, sums, r * columns);
                    } else {
                        rows1(rows, x, w, at, stride, columns, sums, r * columns);
                    }
                }
            }
            Gemm.accumulate(sums, columns, m, out, n, 0, column, columns, k0 == 0, bias);
        }
    }

    // For each column c and row r: s = sums[r][c]; s = fma(x[r][g], w[g][c], s) for g = 0, 1, 2, 3 in order.
    // x[r][g] is x[at + 4r + g]; w[g][c] is the float at byte w0 + g·stride + 4c of w. One kernel per row count,
    // with the broadcast x values held in registers across the columns.

    private static void rows2(float[] x, int at, MemorySegment w, long w0, long stride, int columns, float[] sums,
                              int to) {
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
            long wc = w0 + (long) c * Float.BYTES;
            FloatVector w0v = FloatVector.fromMemorySegment(FLOATS, w, wc, LE);
            FloatVector w1v = FloatVector.fromMemorySegment(FLOATS, w, wc + stride, LE);
            FloatVector w2v = FloatVector.fromMemorySegment(FLOATS, w, wc + 2 * stride, LE);
            FloatVector w3v = FloatVector.fromMemorySegment(FLOATS, w, wc + 3 * stride, LE);
            int s0 = to + c;
            int s1 = to + columns + c;
            x03.fma(w3v, x02.fma(w2v, x01.fma(w1v, x00.fma(w0v, FloatVector.fromArray(FLOATS, sums, s0)))))
                    .intoArray(sums, s0);
            x13.fma(w3v, x12.fma(w2v, x11.fma(w1v, x10.fma(w0v, FloatVector.fromArray(FLOATS, sums, s1)))))
                    .intoArray(sums, s1);
        }
        tail(x, at, 2, w, w0, stride, columns, sums, to, c);
    }

    private static void rows1(float[] x, int at, MemorySegment w, long w0, long stride, int columns, float[] sums,
                              int to) {
        FloatVector x0 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x1 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x2 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x3 = FloatVector.broadcast(FLOATS, x[at + 3]);
        int c = 0;
        for (; c <= columns - LANES; c += LANES) {
            long wc = w0 + (long) c * Float.BYTES;
            x3.fma(FloatVector.fromMemorySegment(FLOATS, w, wc + 3 * stride, LE),
                    x2.fma(FloatVector.fromMemorySegment(FLOATS, w, wc + 2 * stride, LE),
                    x1.fma(FloatVector.fromMemorySegment(FLOATS, w, wc + stride, LE),
                    x0.fma(FloatVector.fromMemorySegment(FLOATS, w, wc, LE), FloatVector.fromArray(FLOATS, sums, to + c)))))
                    .intoArray(sums, to + c);
        }
        tail(x, at, 1, w, w0, stride, columns, sums, to, c);
    }

    /** The columns past the last full vector, with the same fused multiply-adds as the vector lanes. */
    private static void tail(float[] x, int at, int height, MemorySegment w, long w0, long stride, int columns,
                             float[] sums, int to, int from) {
        for (int r = 0; r < height; r++) {
            for (int c = from; c < columns; c++) {
                float sum = sums[to + r * columns + c];
                for (int g = 0; g < ROW_GROUP; g++) {
                    sum = Math.fma(x[at + ROW_GROUP * r + g], w.get(F32, w0 + g * stride + (long) c * Float.BYTES), sum);
                }
                sums[to + r * columns + c] = sum;
            }
        }
    }
}
