package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import static io.github.jdalle.core.cpu.Widening.LE;

/**
 * {@code out = A·W (+ bias)} for one to three rows of A (a decoder step for one image), where the cost is
 * streaming W from memory. W is read once, four rows at a time over a range of up to 2048 columns (long
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
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Weight rows widened and applied together. */
    private static final int ROW_GROUP = 4;
    /**
     * Columns per tile at most: each weight row is read 8 KB (F32) or 4 KB at a time, a page or two, which
     * keeps TLB misses rare; the sums and four widened rows stay in L2.
     */
    private static final int MAX_TILE_COLUMNS = 2048;
    /**
     * Columns per tile at least (2 KB runs of an F32 weight row): one tile per thread where N allows. Splitting the
     * decoder's N = 1024 matrices into four narrow tiles per thread made a mini-1 step 1.4× slower (128 vs 92 ms).
     */
    private static final int MIN_TILE_COLUMNS = 512;

    private Gemv() {
    }

    /** As {@link Gemm#multiply}, for m ≤ {@link #MAX_ROWS}. */
    static void multiply(ThreadPool pool, Gemm.Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out) {
        int n = weight.dim(1);
        int width = Math.clamp(Gemm.ceilDiv(Gemm.ceilDiv(n, pool.threads()), LANES) * LANES, MIN_TILE_COLUMNS,
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
                // F32 and BF16 weights are read in place (BF16 widened in registers); F16 weights, and a short
                // last group padded with zero weights to go with its zero x (fma(0, 0, s) = s exactly), are
                // widened into the buffer first
                if (used == ROW_GROUP && weight.dtype() != DType.F16) {
                    long bytes = weight.dtype().byteSize();
                    long at = ((long) p * n + column) * bytes;
                    boolean bf16 = weight.dtype() == DType.BF16;
                    for (int r = 0; r < m; r += 2) {
                        int x = group + r * ROW_GROUP;
                        if (m - r >= 2 && bf16) {
                            rows2Bf16(rows, x, weight.segment(), at, n * bytes, columns, sums, r * columns);
                        } else if (m - r >= 2) {
                            rows2(rows, x, weight.segment(), at, n * bytes, columns, sums, r * columns);
                        } else if (bf16) {
                            rows1Bf16(rows, x, weight.segment(), at, n * bytes, columns, sums, r * columns);
                        } else {
                            rows1(rows, x, weight.segment(), at, n * bytes, columns, sums, r * columns);
                        }
                    }
                    continue;
                }
                long stride = (long) columns * Float.BYTES;
                Widening.rowsToFloats(weight.segment(), weight.dtype(), (long) p * n + column, n, used, buffer, 0,
                        stride, columns);
                if (used < ROW_GROUP) {
                    buffer.asSlice(used * stride, (ROW_GROUP - used) * stride).fill((byte) 0);
                }
                for (int r = 0; r < m; r += 2) {
                    int x = group + r * ROW_GROUP;
                    if (m - r >= 2) {
                        rows2(rows, x, buffer, 0, stride, columns, sums, r * columns);
                    } else {
                        rows1(rows, x, buffer, 0, stride, columns, sums, r * columns);
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
        tail(x, at, 2, w, w0, stride, false, columns, sums, to, c);
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
                    x0.fma(FloatVector.fromMemorySegment(FLOATS, w, wc, LE),
                            FloatVector.fromArray(FLOATS, sums, to + c)))))
                    .intoArray(sums, to + c);
        }
        tail(x, at, 1, w, w0, stride, false, columns, sums, to, c);
    }

    /** As {@link #rows2} with BF16 weights (w0 and stride in bytes of BF16 rows), widened in registers. */
    private static void rows2Bf16(float[] x, int at, MemorySegment w, long w0, long stride, int columns, float[] sums,
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
            long wc = w0 + 2L * c;
            FloatVector w0v = Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc, LE));
            FloatVector w1v = Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc + stride, LE));
            FloatVector w2v = Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc + 2 * stride, LE));
            FloatVector w3v = Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc + 3 * stride, LE));
            int s0 = to + c;
            int s1 = to + columns + c;
            x03.fma(w3v, x02.fma(w2v, x01.fma(w1v, x00.fma(w0v, FloatVector.fromArray(FLOATS, sums, s0)))))
                    .intoArray(sums, s0);
            x13.fma(w3v, x12.fma(w2v, x11.fma(w1v, x10.fma(w0v, FloatVector.fromArray(FLOATS, sums, s1)))))
                    .intoArray(sums, s1);
        }
        tail(x, at, 2, w, w0, stride, true, columns, sums, to, c);
    }

    /** As {@link #rows1} with BF16 weights (w0 and stride in bytes of BF16 rows), widened in registers. */
    private static void rows1Bf16(float[] x, int at, MemorySegment w, long w0, long stride, int columns, float[] sums,
                                  int to) {
        FloatVector x0 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x1 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x2 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x3 = FloatVector.broadcast(FLOATS, x[at + 3]);
        int c = 0;
        for (; c <= columns - LANES; c += LANES) {
            long wc = w0 + 2L * c;
            x3.fma(Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc + 3 * stride, LE)),
                    x2.fma(Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc + 2 * stride, LE)),
                    x1.fma(Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc + stride, LE)),
                    x0.fma(Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, wc, LE)),
                            FloatVector.fromArray(FLOATS, sums, to + c)))))
                    .intoArray(sums, to + c);
        }
        tail(x, at, 1, w, w0, stride, true, columns, sums, to, c);
    }

    /** The columns past the last full vector, with the same fused multiply-adds as the vector lanes. */
    private static void tail(float[] x, int at, int height, MemorySegment w, long w0, long stride, boolean bf16,
                             int columns, float[] sums, int to, int from) {
        for (int r = 0; r < height; r++) {
            for (int c = from; c < columns; c++) {
                float sum = sums[to + r * columns + c];
                for (int g = 0; g < ROW_GROUP; g++) {
                    long row = w0 + g * stride;
                    float weight = bf16 ? HalfFloats.bf16ToFloat(w.get(I16, row + 2L * c)) : w.get(F32, row + 4L * c);
                    sum = Math.fma(x[at + ROW_GROUP * r + g], weight, sum);
                }
                sums[to + r * columns + c] = sum;
            }
        }
    }
}
