package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import static io.github.jdalle.core.cpu.Widening.LE;

/**
 * {@code out = A·W (+ bias)} for F32 rows A (M, K) and a weight W (K, N) in Flax layout, F32, F16 or BF16,
 * accumulated in F32. The work is cut into tasks that the pool's threads take one at a time: a task widens
 * a panel of up to 128 columns of W, all of K, into strips of {@link #NR} columns (F32 and BF16 read eight
 * rows side by side), then runs a range of row tiles against it. A tile walks K in blocks of {@link #KC}
 * (one block of the panel and the tile's output stay in L2), copies {@link #MR} rows of A at a time (L1) and
 * runs a register-tiled micro-kernel over every strip. Up to 32 rows (a decoder step for several images)
 * make a single row tile; then wide column tiles are packed a block at a time instead, so that the weight
 * streams from memory once, in long runs, split over the threads. Up to {@link Gemv#MAX_ROWS} rows go to
 * {@link Gemv}, which skips the packing, and weights of a few columns to {@link NarrowGemm}, whatever the rows;
 * {@link #multiplyEach} runs several weights of one input together.
 *
 * <p>Every output element is the same chain of fused multiply-adds over each K block, added to the
 * previous blocks in order, whatever the tiling, the row count or the thread count (and {@link NarrowGemm}'s dot
 * products depend on their row alone): results are bit-identical across thread counts and batch sizes.
 */
final class Gemm {
    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Register tile: 6 rows × 2 vectors, 12 accumulators + 2 weight vectors + 1 broadcast of the 16 AVX2 registers. */
    static final int MR = 6;
    static final int NR = 2 * LANES;
    /** Depth of a block. It fixes the summation order, so it never depends on the shape or the thread count. */
    static final int KC = 256;
    /** Rows per tile when there are many rows. */
    private static final int MC = 96;
    /** Weight rows packed together, so that as many streams from memory are in flight. */
    private static final int ROW_GROUP = 8;
    /** Up to this many rows form a single row tile. */
    private static final int SKINNY_ROWS = 32;
    /**
     * Columns per tile at most with few rows: a block of 2048 columns is 2 MB of floats (L3), but each weight
     * row is read 8 KB (F32) at a time, which keeps TLB misses rare.
     */
    private static final int SKINNY_TILE_COLUMNS = 2048;
    /** Columns per panel at most: one KC × 128 block of it is 128 KB, a quarter of a Zen L2. */
    private static final int MAX_PANEL_COLUMNS = 128;

    /** The left operand, delivered a block at a time: rows of a matrix, or the im2col rows of a convolution. */
    interface Rows {
        /** Rows {@code [row, row + count)}, columns {@code [k0, k0 + depth)} into {@code panel}, stride depth. */
        void pack(int row, int count, int k0, int depth, float[] panel);
    }

    private Gemm() {
    }

    /** The rows of a row-major F32 matrix with {@code k} columns; each thread reuses one, so a call allocates nothing. */
    private static final class Matrix implements Rows {
        private static final ThreadLocal<Matrix> LOCAL = ThreadLocal.withInitial(Matrix::new);
        MemorySegment x;
        int k;

        /** This thread's matrix, set to x for one call; {@link #release} it after the call. */
        static Matrix over(MemorySegment x, int k) {
            Matrix rows = LOCAL.get();
            rows.x = x;
            rows.k = k;
            return rows;
        }

        void release() {
            x = null;
        }

        @Override
        public void pack(int row, int count, int k0, int depth, float[] panel) {
            for (int r = 0; r < count; r++) {
                MemorySegment.copy(x, F32, ((long) (row + r) * k + k0) * Float.BYTES, panel, r * depth, depth);
            }
        }
    }

    /** As {@link #multiply(ThreadPool, Rows, int, int, Tensor, float[], MemorySegment)} for a row-major F32 x (m, k). */
    static void multiply(ThreadPool pool, MemorySegment x, int m, int k, Tensor weight, float[] bias,
                         MemorySegment out) {
        Matrix rows = Matrix.over(x, k);
        try {
            multiply(pool, rows, m, k, weight, bias, out);
        } finally {
            rows.release();
        }
    }

    /**
     * {@code outs[i] = x·weights[i]} for a row-major F32 x (m, k) and weights of the same K; up to
     * {@link Gemv#MAX_ROWS} rows go through one GEMV call for all of them, more rows through one GEMM each.
     */
    static void multiplyEach(ThreadPool pool, MemorySegment x, int m, int k, Tensor[] weights, Tensor[] outs) {
        Matrix rows = Matrix.over(x, k);
        try {
            boolean narrow = false;
            for (Tensor weight : weights) {
                narrow |= weight.dim(1) <= NarrowGemm.MAX_COLUMNS;
            }
            if (m <= Gemv.MAX_ROWS && weights.length <= Gemv.MAX_WEIGHTS && !narrow) {
                Gemv.multiplyEach(pool, rows, m, k, weights, outs);
                return;
            }
            for (int i = 0; i < weights.length; i++) {
                multiply(pool, rows, m, k, weights[i], null, outs[i].segment());
            }
        } finally {
            rows.release();
        }
    }

    /**
     * {@code out (m, N) = a (m, k) · weight (k, N) + bias}; bias (N floats) may be null. {@code out} is F32
     * row-major and may not overlap the operands.
     */
    static void multiply(ThreadPool pool, Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out) {
        if (weight.dim(1) <= NarrowGemm.MAX_COLUMNS) {
            NarrowGemm.multiply(pool, a, m, k, weight, bias, out);
            return;
        }
        if (m <= Gemv.MAX_ROWS) {
            Gemv.multiply(pool, a, m, k, weight, bias, out);
            return;
        }
        int n = weight.dim(1);
        if (m <= SKINNY_ROWS) {
            // one row tile: wide column tiles packed a block at a time, so that every weight row is read in
            // runs of a whole page (fewer TLB misses), the threads splitting the columns
            int width = Math.clamp(roundUp(ceilDiv(n, 4 * pool.threads()), NR), NR, SKINNY_TILE_COLUMNS);
            Skinny call = Skinny.LOCAL.get();
            call.a = a;
            call.m = m;
            call.k = k;
            call.weight = weight;
            call.bias = bias;
            call.out = out;
            call.width = width;
            call.runOn(pool, ceilDiv(n, width), ThreadPool.grain((long) m * width * k));
            return;
        }
        int rowTiles = ceilDiv(m, MC);
        // A task packs one panel of columns (all of K) and runs a range of row tiles against it. Whole columns
        // of tiles pack each weight once; there should still be about four tasks per thread, so split the rows
        // first (repacking a panel is cheap) and narrow the panels only when rows run out.
        int target = 4 * pool.threads();
        int columns = Math.min(MAX_PANEL_COLUMNS, roundUp(n, NR));
        int ranges = Math.clamp(ceilDiv(target, ceilDiv(n, columns)), 1, rowTiles);
        while (ceilDiv(n, columns) * ranges < target && columns > NR) {
            columns = Math.max(NR, roundUp(columns / 2, NR));
            ranges = Math.clamp(ceilDiv(target, ceilDiv(n, columns)), 1, rowTiles);
        }
        int panelColumns = columns;
        int panels = ceilDiv(n, panelColumns);
        int rowsPerRange = ceilDiv(rowTiles, ranges) * MC;
        int rowRanges = ceilDiv(m, rowsPerRange);
        long taskCost = (long) rowsPerRange * panelColumns * k;
        pool.parallelFor(panels * rowRanges, ThreadPool.grain(taskCost), (first, last) -> {
            for (int t = first; t < last; t++) {
                int row = (t % rowRanges) * rowsPerRange;
                int column = (t / rowRanges) * panelColumns;
                panel(a, k, weight, bias, out, n, row, Math.min(m, row + rowsPerRange), column,
                        Math.min(panelColumns, n - column));
            }
        });
    }

    /**
     * The column tiles of a GEMM of up to {@link #SKINNY_ROWS} rows (a decoder step of 5 to 16 images), with one
     * call's operands (see {@link ThreadPool.ReusedBody}).
     */
    private static final class Skinny extends ThreadPool.ReusedBody {
        private static final ThreadLocal<Skinny> LOCAL = ThreadLocal.withInitial(Skinny::new);
        Rows a;
        int m;
        int k;
        Tensor weight;
        float[] bias;
        MemorySegment out;
        /** Columns per tile (the last may be narrower). */
        int width;

        /** Column tiles {@code [first, last)}. */
        @Override
        public void run(int first, int last) {
            int n = weight.dim(1);
            for (int t = first; t < last; t++) {
                int column = t * width;
                blockByBlock(a, m, k, weight, bias, out, n, column, Math.min(width, n - column));
            }
        }

        @Override
        void release() {
            a = null;
            weight = null;
            bias = null;
            out = null;
        }
    }

    /** All m rows against weight columns {@code [column, column + columns)}, packing one block of K at a time. */
    private static void blockByBlock(Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out, int n,
                                     int column, int columns) {
        float[] block = Scratch.floats(Scratch.Slot.GEMM_B, ceilDiv(columns, NR) * NR * KC);
        for (int k0 = 0; k0 < k; k0 += KC) {
            int depth = Math.min(KC, k - k0);
            packWeights(weight, n, k0, depth, column, columns, block, 0);
            multiplyBlock(a, 0, m, k0, depth, block, 0, bias, out, n, column, columns);
        }
    }

    /** Packs the panel of weight columns {@code [column, column + columns)}, then runs rows {@code [row, end)} on it. */
    private static void panel(Rows a, int k, Tensor weight, float[] bias, MemorySegment out, int n, int row, int end,
                              int column, int columns) {
        int strips = ceilDiv(columns, NR);
        // block k0 of the panel starts at k0·strips·NR: strips of depth × NR floats
        float[] panel = Scratch.floats(Scratch.Slot.GEMM_B, strips * NR * k);
        for (int k0 = 0; k0 < k; k0 += KC) {
            packWeights(weight, n, k0, Math.min(KC, k - k0), column, columns, panel, k0 * strips * NR);
        }
        for (int tile = row; tile < end; tile += MC) {
            // the tile's output (MC × columns) stays in L2 across the blocks, with one block of the panel
            for (int k0 = 0; k0 < k; k0 += KC) {
                multiplyBlock(a, tile, Math.min(MC, end - tile), k0, Math.min(KC, k - k0), panel, k0 * strips * NR,
                        bias, out, n, column, columns);
            }
        }
    }

    /**
     * Rows {@code [row, row + rows)} times the packed block of weight rows {@code [k0, k0 + depth)} at
     * {@code packed[offset …]}, added to the output columns {@code [column, column + columns)}.
     */
    private static void multiplyBlock(Rows a, int row, int rows, int k0, int depth, float[] packed, int offset,
                                      float[] bias, MemorySegment out, int n, int column, int columns) {
        float[] packedA = Scratch.floats(Scratch.Slot.GEMM_A, MR * KC);
        int strips = ceilDiv(columns, NR);
        long rowBytes = (long) n * Float.BYTES;
        if (k0 == 0) {
            initialize(out, n, row, rows, column, columns, bias);
        }
        for (int r = 0; r < rows; ) {
            int height = kernelHeight(rows - r);
            a.pack(row + r, height, k0, depth, packedA);
            for (int s = 0; s < strips; s++) {
                int strip = offset + s * depth * NR;
                int width = Math.min(NR, columns - s * NR);
                long at = ((long) (row + r) * n + column + (long) s * NR) * Float.BYTES;
                if (width == NR) {
                    kernel(height, packedA, depth, packed, strip, out, at, rowBytes);
                    continue;
                }
                // the last, narrower strip: through a tile of whole strips
                MemorySegment tile = Scratch.segment(Scratch.Slot.GEMM_TILE, (long) MR * NR * Float.BYTES);
                long tileRow = (long) NR * Float.BYTES;
                for (int h = 0; h < height; h++) {
                    MemorySegment.copy(out, at + h * rowBytes, tile, h * tileRow, (long) width * Float.BYTES);
                }
                kernel(height, packedA, depth, packed, strip, tile, 0, tileRow);
                for (int h = 0; h < height; h++) {
                    MemorySegment.copy(tile, h * tileRow, out, at + h * rowBytes, (long) width * Float.BYTES);
                }
            }
            r += height;
        }
    }

    /** The micro-kernel of {@code height} rows (6, 4, 2 or 1) over one strip, added to c from byte {@code at}. */
    private static void kernel(int height, float[] a, int depth, float[] b, int offset, MemorySegment c, long at,
                               long stride) {
        switch (height) {
            case 6 -> kernel6(a, depth, b, offset, c, at, stride);
            case 4 -> kernel4(a, depth, b, offset, c, at, stride);
            case 2 -> kernel2(a, depth, b, offset, c, at, stride);
            default -> kernel1(a, depth, b, offset, c, at, stride);
        }
    }

    /**
     * Sets rows {@code [row, row + rows)}, columns {@code [column, column + columns)} of the output to the bias (or
     * zero), to which the first block's sums are then added like every later block's.
     */
    static void initialize(MemorySegment out, int n, int row, int rows, int column, int columns, float[] bias) {
        for (int r = 0; r < rows; r++) {
            long at = ((long) (row + r) * n + column) * Float.BYTES;
            if (bias != null) {
                MemorySegment.copy(bias, column, out, F32, at, columns);
                continue;
            }
            int c = 0;
            for (; c <= columns - LANES; c += LANES) {
                FloatVector.zero(FLOATS).intoMemorySegment(out, at + (long) c * Float.BYTES, LE);
            }
            for (; c < columns; c++) {
                out.set(F32, at + (long) c * Float.BYTES, 0f);
            }
        }
    }

    /** Rows handled by the next micro-kernel: 6 while possible, then 4, 2, 1, so that no work is wasted. */
    private static int kernelHeight(int remaining) {
        return remaining >= MR ? MR : remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
    }

    /**
     * Widens weight rows {@code [k0, k0 + depth)}, columns {@code [column, column + columns)} into strips of NR
     * columns, zero-padded, at {@code packed[base …]}. Several rows are read side by side, so that as many
     * streams from memory are in flight. Full strips of F32 and BF16 weights go straight into place; the rest
     * (F16, whose fastest widening is the JIT's vectorisation of a plain loop, and a partial last strip) goes
     * through a small buffer.
     */
    private static void packWeights(Tensor weight, int n, int k0, int depth, int column, int columns,
                                    float[] packed, int base) {
        MemorySegment w = weight.segment();
        long first = (long) k0 * n + column;
        int direct = switch (weight.dtype()) {
            case F32, BF16 -> columns / NR;
            default -> 0;
        };
        if (direct > 0) {
            for (int p = 0; p < depth; p += ROW_GROUP) {
                int rows = Math.min(ROW_GROUP, depth - p);
                if (weight.dtype() == DType.F32) {
                    packF32(w, first + (long) p * n, n, rows, direct, packed, base, depth, p);
                } else {
                    packBf16(w, first + (long) p * n, n, rows, direct, packed, base, depth, p);
                }
            }
        }
        int rest = columns - direct * NR;
        if (rest == 0) {
            return;
        }
        // a group of rows at a time (widened side by side) into an off-heap buffer, then into the strips, zero-padded
        int strips = ceilDiv(rest, NR);
        long rowBytes = (long) strips * NR * Float.BYTES;
        MemorySegment rows = Scratch.segment(Scratch.Slot.GEMM_ROW, ROW_GROUP * rowBytes);
        rows.fill((byte) 0);
        for (int p = 0; p < depth; p += ROW_GROUP) {
            int group = Math.min(ROW_GROUP, depth - p);
            Widening.rowsToFloats(w, weight.dtype(), first + (long) p * n + direct * NR, n, group, rows, 0, rowBytes,
                    rest);
            for (int g = 0; g < group; g++) {
                for (int s = 0; s < strips; s++) {
                    int to = base + ((direct + s) * depth + p + g) * NR;
                    long from = g * rowBytes + (long) s * NR * Float.BYTES;
                    FloatVector.fromMemorySegment(FLOATS, rows, from, LE).intoArray(packed, to);
                    FloatVector.fromMemorySegment(FLOATS, rows, from + LANES * Float.BYTES, LE)
                            .intoArray(packed, to + LANES);
                }
            }
        }
    }

    /** {@code rows} F32 weight rows from element {@code index} (row stride n) into strips 0…strips−1, row p on. */
    private static void packF32(MemorySegment w, long index, int n, int rows, int strips, float[] packed, int base,
                                int depth, int p) {
        for (int s = 0; s < strips; s++) {
            for (int r = 0; r < rows; r++) {
                long from = (index + (long) r * n + (long) s * NR) * Float.BYTES;
                int to = base + (s * depth + p + r) * NR;
                FloatVector.fromMemorySegment(FLOATS, w, from, LE).intoArray(packed, to);
                FloatVector.fromMemorySegment(FLOATS, w, from + LANES * Float.BYTES, LE).intoArray(packed, to + LANES);
            }
        }
    }

    /** As {@link #packF32} for BF16 weights. */
    private static void packBf16(MemorySegment w, long index, int n, int rows, int strips, float[] packed, int base,
                                 int depth, int p) {
        for (int s = 0; s < strips; s++) {
            for (int r = 0; r < rows; r++) {
                long from = (index + (long) r * n + (long) s * NR) * 2;
                int to = base + (s * depth + p + r) * NR;
                Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, from, LE)).intoArray(packed, to);
                Widening.bf16(ShortVector.fromMemorySegment(Widening.SHORTS, w, from + LANES * 2, LE))
                        .intoArray(packed, to + LANES);
            }
        }
    }

    // The micro-kernels: one per tile height, since register tiling needs the row count fixed at compile time.
    // Row r of the packed A strip is a[r·depth …]; strip p of B is b[offset + p·NR …].

    private static void kernel6(float[] a, int depth, float[] b, int offset, MemorySegment c, long at,
                                long stride) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < depth; p++) {
            int from = offset + p * NR;
            FloatVector b0 = FloatVector.fromArray(FLOATS, b, from);
            FloatVector b1 = FloatVector.fromArray(FLOATS, b, from + LANES);
            FloatVector x = FloatVector.broadcast(FLOATS, a[p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FLOATS, a[p + depth]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FLOATS, a[p + 2 * depth]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FLOATS, a[p + 3 * depth]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FLOATS, a[p + 4 * depth]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(FLOATS, a[p + 5 * depth]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // every load of the output before any store: its rows are a multiple of 4 KB apart when N is a power of
        // two, and a load behind a store to the same page offset waits for it
        c00 = c00.add(FloatVector.fromMemorySegment(FLOATS, c, at, LE));
        c01 = c01.add(FloatVector.fromMemorySegment(FLOATS, c, at + LANES * Float.BYTES, LE));
        c10 = c10.add(FloatVector.fromMemorySegment(FLOATS, c, at + stride, LE));
        c11 = c11.add(FloatVector.fromMemorySegment(FLOATS, c, at + stride + LANES * Float.BYTES, LE));
        c20 = c20.add(FloatVector.fromMemorySegment(FLOATS, c, at + 2 * stride, LE));
        c21 = c21.add(FloatVector.fromMemorySegment(FLOATS, c, at + 2 * stride + LANES * Float.BYTES, LE));
        c30 = c30.add(FloatVector.fromMemorySegment(FLOATS, c, at + 3 * stride, LE));
        c31 = c31.add(FloatVector.fromMemorySegment(FLOATS, c, at + 3 * stride + LANES * Float.BYTES, LE));
        c40 = c40.add(FloatVector.fromMemorySegment(FLOATS, c, at + 4 * stride, LE));
        c41 = c41.add(FloatVector.fromMemorySegment(FLOATS, c, at + 4 * stride + LANES * Float.BYTES, LE));
        c50 = c50.add(FloatVector.fromMemorySegment(FLOATS, c, at + 5 * stride, LE));
        c51 = c51.add(FloatVector.fromMemorySegment(FLOATS, c, at + 5 * stride + LANES * Float.BYTES, LE));
        c00.intoMemorySegment(c, at, LE);
        c01.intoMemorySegment(c, at + LANES * Float.BYTES, LE);
        c10.intoMemorySegment(c, at + stride, LE);
        c11.intoMemorySegment(c, at + stride + LANES * Float.BYTES, LE);
        c20.intoMemorySegment(c, at + 2 * stride, LE);
        c21.intoMemorySegment(c, at + 2 * stride + LANES * Float.BYTES, LE);
        c30.intoMemorySegment(c, at + 3 * stride, LE);
        c31.intoMemorySegment(c, at + 3 * stride + LANES * Float.BYTES, LE);
        c40.intoMemorySegment(c, at + 4 * stride, LE);
        c41.intoMemorySegment(c, at + 4 * stride + LANES * Float.BYTES, LE);
        c50.intoMemorySegment(c, at + 5 * stride, LE);
        c51.intoMemorySegment(c, at + 5 * stride + LANES * Float.BYTES, LE);
    }

    private static void kernel4(float[] a, int depth, float[] b, int offset, MemorySegment c, long at,
                                long stride) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < depth; p++) {
            int from = offset + p * NR;
            FloatVector b0 = FloatVector.fromArray(FLOATS, b, from);
            FloatVector b1 = FloatVector.fromArray(FLOATS, b, from + LANES);
            FloatVector x = FloatVector.broadcast(FLOATS, a[p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FLOATS, a[p + depth]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FLOATS, a[p + 2 * depth]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FLOATS, a[p + 3 * depth]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        // every load of the output before any store: its rows are a multiple of 4 KB apart when N is a power of
        // two, and a load behind a store to the same page offset waits for it
        c00 = c00.add(FloatVector.fromMemorySegment(FLOATS, c, at, LE));
        c01 = c01.add(FloatVector.fromMemorySegment(FLOATS, c, at + LANES * Float.BYTES, LE));
        c10 = c10.add(FloatVector.fromMemorySegment(FLOATS, c, at + stride, LE));
        c11 = c11.add(FloatVector.fromMemorySegment(FLOATS, c, at + stride + LANES * Float.BYTES, LE));
        c20 = c20.add(FloatVector.fromMemorySegment(FLOATS, c, at + 2 * stride, LE));
        c21 = c21.add(FloatVector.fromMemorySegment(FLOATS, c, at + 2 * stride + LANES * Float.BYTES, LE));
        c30 = c30.add(FloatVector.fromMemorySegment(FLOATS, c, at + 3 * stride, LE));
        c31 = c31.add(FloatVector.fromMemorySegment(FLOATS, c, at + 3 * stride + LANES * Float.BYTES, LE));
        c00.intoMemorySegment(c, at, LE);
        c01.intoMemorySegment(c, at + LANES * Float.BYTES, LE);
        c10.intoMemorySegment(c, at + stride, LE);
        c11.intoMemorySegment(c, at + stride + LANES * Float.BYTES, LE);
        c20.intoMemorySegment(c, at + 2 * stride, LE);
        c21.intoMemorySegment(c, at + 2 * stride + LANES * Float.BYTES, LE);
        c30.intoMemorySegment(c, at + 3 * stride, LE);
        c31.intoMemorySegment(c, at + 3 * stride + LANES * Float.BYTES, LE);
    }

    private static void kernel2(float[] a, int depth, float[] b, int offset, MemorySegment c, long at,
                                long stride) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c10 = c00, c11 = c00;
        for (int p = 0; p < depth; p++) {
            int from = offset + p * NR;
            FloatVector b0 = FloatVector.fromArray(FLOATS, b, from);
            FloatVector b1 = FloatVector.fromArray(FLOATS, b, from + LANES);
            FloatVector x = FloatVector.broadcast(FLOATS, a[p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FLOATS, a[p + depth]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
        }
        // every load of the output before any store: its rows are a multiple of 4 KB apart when N is a power of
        // two, and a load behind a store to the same page offset waits for it
        c00 = c00.add(FloatVector.fromMemorySegment(FLOATS, c, at, LE));
        c01 = c01.add(FloatVector.fromMemorySegment(FLOATS, c, at + LANES * Float.BYTES, LE));
        c10 = c10.add(FloatVector.fromMemorySegment(FLOATS, c, at + stride, LE));
        c11 = c11.add(FloatVector.fromMemorySegment(FLOATS, c, at + stride + LANES * Float.BYTES, LE));
        c00.intoMemorySegment(c, at, LE);
        c01.intoMemorySegment(c, at + LANES * Float.BYTES, LE);
        c10.intoMemorySegment(c, at + stride, LE);
        c11.intoMemorySegment(c, at + stride + LANES * Float.BYTES, LE);
    }

    private static void kernel1(float[] a, int depth, float[] b, int offset, MemorySegment c, long at,
                                long stride) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00;
        for (int p = 0; p < depth; p++) {
            int from = offset + p * NR;
            FloatVector x = FloatVector.broadcast(FLOATS, a[p]);
            c00 = x.fma(FloatVector.fromArray(FLOATS, b, from), c00);
            c01 = x.fma(FloatVector.fromArray(FLOATS, b, from + LANES), c01);
        }
        // every load of the output before any store: its rows are a multiple of 4 KB apart when N is a power of
        // two, and a load behind a store to the same page offset waits for it
        c00 = c00.add(FloatVector.fromMemorySegment(FLOATS, c, at, LE));
        c01 = c01.add(FloatVector.fromMemorySegment(FLOATS, c, at + LANES * Float.BYTES, LE));
        c00.intoMemorySegment(c, at, LE);
        c01.intoMemorySegment(c, at + LANES * Float.BYTES, LE);
    }

    static int ceilDiv(long a, int b) {
        return Math.toIntExact((a + b - 1) / b);
    }

    private static int roundUp(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }
}
