package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import static io.github.jdalle.core.cpu.Widening.LE;

/**
 * {@code out = A·W (+ bias)} for up to eight rows of A (a decoder step for up to four images), where the cost is
 * streaming W from memory. The work is split into units of one block of {@link Gemm#KC} weight rows by a range of
 * columns: whole rows where their sums fit {@link #UNIT_SUM_BYTES}, so that a unit reads one contiguous stretch of
 * the weight file and consecutive units continue it. A unit reads its rows eight at a time (eight streams in flight),
 * F32 and BF16 in place and F16 widened into an L1 buffer, and applies them to every row of A while they are there.
 * Rows shorter than a page are read as one stream instead: copied into the buffer first, or with 256-bit vectors, for
 * one or two rows of A, whole BF16 rows applied one weight row after the other.
 * The threads share the units; whichever thread finishes a column tile's last block adds that tile's block sums up
 * in order, so a call is one parallel loop.
 *
 * <p>The arithmetic is the GEMM's, element for element: for each block of {@link Gemm#KC} weight rows a
 * chain of fused multiply-adds from zero, added to the previous blocks in order. A row's result is therefore
 * bit-identical whether it goes through here or through {@link Gemm}, alone or in a batch, on any number of
 * threads.
 */
final class Gemv {
    /**
     * Up to this many rows take this path: four images, a conditioned and an unconditioned row each. On the
     * mini-1 decoder's shapes (2 threads) 8 rows stream 7.9 GB/s here against 5.6 through the GEMM's packed
     * panels; at 12 rows the GEMM, whose register tile loads less per multiply-add, is ahead (6.0 against 5.4).
     */
    static final int MAX_ROWS = 8;

    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Weights that {@link #multiplyEach} takes in one call. */
    static final int MAX_WEIGHTS = 3;
    /**
     * Weight rows applied together: each pass over a unit's sums (a load and a store per vector) carries eight
     * multiply-adds per row of A. Against four, the step's GEMVs took 12-22 % less time with 512-bit vectors
     * (Zen 5) and 3-6 % less with 256-bit ones, though 16 broadcast x values then no longer fit AVX2's registers.
     */
    private static final int ROW_GROUP = 8;
    /**
     * A unit's sums (its columns, for every row of A) at most: they stay in L2 (half of a Zen 3's) while the
     * weights stream past. Within that, units take whole rows: the lm_head's 16 385 columns in one unit for 2 rows
     * of A, 3 for 8, rather than 5 of 4096 columns, ran 12-16 % faster in BF16 with 2 rows and 12-18 % with 8 on
     * Zen 5: each of a unit's eight row streams runs on for a whole row (32 or 64 KB) instead of 6.5 or 13 KB.
     */
    private static final int UNIT_SUM_BYTES = 256 * 1024;
    /**
     * Columns per unit at least (2 KB runs of an F32 weight row) when narrowing the units to share them evenly:
     * narrower runs defeat the hardware prefetcher.
     */
    private static final int MIN_TILE_COLUMNS = 512;
    /**
     * Floats between rows of sums: with rows exactly 4 KB apart (N = 1024), storing one row's sums and loading
     * the next row's alias in the store buffer (same page offset) and stall.
     */
    private static final int SUM_PADDING = 16;
    /**
     * Rows of sums start on a cache line (16 floats), off heap, so that 512-bit loads and stores of them never
     * split across two lines, as they would in a float[] (its elements start 16 bytes into a line): 3-4 % of the
     * F32 GEMVs' time on Zen 5.
     */
    private static final int SUM_ALIGNMENT = 16;
    /**
     * F32 and BF16 weight rows shorter than this are copied into a buffer one after the other rather than read in
     * place eight at a time: 2 rows of A by (131072, 1024) BF16 weights streamed 16.3 GB/s in place and 18.0 so, and
     * the mini-1 BF16 decoder step (d_model 1024: 2 KB rows) took 22.2 ms instead of 23.8 (Sapphire Rapids, 2 threads).
     */
    private static final int PAGE_BYTES = 4096;
    /**
     * A group's weights taken at a time by every pair of rows of A in turn, so that they stay in L1 from one pair to
     * the next (a multiple of {@code 2·LANES} columns either way): 8 rows of A by (4096, 16384) F32 weights took
     * 14.4 ms instead of 15.1, by (8192, 16384) BF16 ones 22.1 instead of 23.8 (Sapphire Rapids, 2 threads).
     */
    private static final int CHUNK_BYTES = 16 * 1024;
    /**
     * Whether whole short BF16 rows are applied one weight row after the other for one or two rows of A (one forward
     * stream, the sums loaded and stored per weight row) rather than copied into the buffer first. With 256-bit
     * vectors that won on Zen 3 (the mini-1 BF16 step 7-15 % faster) and tied on Zen 5 run with {@code -XX:UseAVX=2};
     * with 512-bit vectors on Zen 5 the copy made the step's GEMVs 25 % faster and the BF16 step 27 %.
     */
    private static final boolean ROW_BY_ROW_BF16 = LANES <= 8;
    /** The odd column of a pair of BF16 weights read as one int. */
    private static final int HIGH_HALF = 0xFFFF0000;
    /**
     * Lane i of the first (second) half of a run of {@code 2·LANES} sums in column order, from the even sums (a valid
     * index) or the odd ones (an exceptional index, which the two-vector rearrange takes from its second operand).
     */
    private static final VectorShuffle<Float> FIRST_HALF =
            VectorShuffle.fromOp(FLOATS, i -> i % 2 == 0 ? i / 2 : i / 2 - LANES);
    private static final VectorShuffle<Float> SECOND_HALF =
            VectorShuffle.fromOp(FLOATS, i -> i % 2 == 0 ? LANES / 2 + i / 2 : LANES / 2 + i / 2 - LANES);

    private Gemv() {
    }

    /** As {@link Gemm#multiply}, for m ≤ {@link #MAX_ROWS}. */
    static void multiply(ThreadPool pool, Gemm.Rows a, int m, int k, Tensor weight, float[] bias, MemorySegment out) {
        Call call = Call.LOCAL.get();
        try {
            call.start(pool, a, m, k);
            call.add(weight, bias, out);
            call.run();
        } finally {
            call.end();
        }
    }

    /**
     * {@code outs[i] = a·weights[i]} for up to {@link #MAX_WEIGHTS} weights of the same K (the query, key and value
     * projections), as one parallel loop over the units of all of them: one hand-off and one wait for the slowest
     * thread instead of one per weight. Each result is the one {@link #multiply} gives.
     */
    static void multiplyEach(ThreadPool pool, Gemm.Rows a, int m, int k, Tensor[] weights, Tensor[] outs) {
        Call call = Call.LOCAL.get();
        try {
            call.start(pool, a, m, k);
            for (int i = 0; i < weights.length; i++) {
                call.add(weights[i], null, outs[i].segment());
            }
            call.run();
        } finally {
            call.end();
        }
    }

    /**
     * One call's operands and its loop body, kept by the calling thread and reused call after call, so that a
     * decoder step's hundred GEMVs allocate nothing. The workers only read it, but for counting off
     * {@link #pending}. Units are numbered weight by weight; within a weight, unit u is block u / columnTiles,
     * column tile u % columnTiles.
     */
    private static final class Call {
        private static final ThreadLocal<Call> LOCAL = ThreadLocal.withInitial(Call::new);
        final ThreadPool.RangeBody units = this::units;
        final Part[] parts = new Part[MAX_WEIGHTS];
        ThreadPool pool;
        Gemm.Rows a;
        int m;
        int k;
        int blocks;
        int weightCount;
        int unitCount;
        int tileCount;
        int partialCount;
        /** Every weight's block sums, off heap so that vector rows of them are aligned; see {@link Part#partialsAt}. */
        MemorySegment partials;
        /** Per column tile, the blocks still to be summed: the unit that takes it to zero adds the tile up. */
        AtomicIntegerArray pending = new AtomicIntegerArray(0);

        Call() {
            Arrays.setAll(parts, i -> new Part());
        }

        void start(ThreadPool pool, Gemm.Rows a, int m, int k) {
            this.pool = pool;
            this.a = a;
            this.m = m;
            this.k = k;
            this.blocks = Gemm.ceilDiv(k, Gemm.KC);
            weightCount = unitCount = tileCount = partialCount = 0;
        }

        void add(Tensor weight, float[] bias, MemorySegment out) {
            int n = weight.dim(1);
            int tiles = Gemm.ceilDiv(n, UNIT_SUM_BYTES / (m * Float.BYTES));
            // as many units for every thread (K = 2730 has 11 blocks), and none over 4 MB of weights (the F32
            // lm_head's blocks are 16 MB: halved, the step's GEMVs took 4 % less time), unless there are plenty
            int threads = pool.threads();
            long blockBytes = (long) Gemm.KC * n * weight.dtype().byteSize();
            while ((blocks * tiles % threads != 0 || blockBytes / tiles > 4 << 20) && blocks * tiles < 4 * threads
                    && Gemm.ceilDiv(n, tiles + 1) >= MIN_TILE_COLUMNS) {
                tiles++;
            }
            Part part = parts[weightCount++];
            part.weight = weight;
            part.bias = bias;
            part.out = out;
            part.n = n;
            // whole runs of the kernels' two column vectors, so that only the matrix's last columns go to the tail
            part.width = Math.min(n, Gemm.ceilDiv(Gemm.ceilDiv(n, tiles), 2 * LANES) * 2 * LANES);
            part.columnTiles = Gemm.ceilDiv(n, part.width);
            part.stride = Gemm.ceilDiv(n, SUM_ALIGNMENT) * SUM_ALIGNMENT + SUM_PADDING;
            part.firstUnit = unitCount;
            part.firstTile = tileCount;
            part.partialsAt = partialCount;
            unitCount += blocks * part.columnTiles;
            tileCount += part.columnTiles;
            partialCount += blocks * m * part.stride;
        }

        void run() {
            partials = Scratch.segment(Scratch.Slot.GEMV_PARTIALS, (long) partialCount * Float.BYTES);
            int width = 0;
            for (int i = 0; i < weightCount; i++) {
                width = Math.max(width, parts[i].width);
            }
            if (pending.length() < tileCount) {
                pending = new AtomicIntegerArray(tileCount);
            }
            for (int t = 0; t < tileCount; t++) {
                pending.set(t, blocks);
            }
            pool.parallelFor(unitCount, ThreadPool.grain((long) (m + 2) * width * Gemm.KC), units);
        }

        /** Drops the operands, which may be large. */
        void end() {
            for (Part part : parts) {
                part.weight = null;
                part.bias = null;
                part.out = null;
            }
            pool = null;
            a = null;
            partials = null;
        }

        private void units(int first, int last) {
            for (int u = first; u < last; u++) {
                Part part = parts[0];
                for (int i = 1; i < weightCount && parts[i].firstUnit <= u; i++) {
                    part = parts[i];
                }
                int local = u - part.firstUnit;
                int block = local / part.columnTiles;
                int tile = local % part.columnTiles;
                int column = tile * part.width;
                int columns = Math.min(part.width, part.n - column);
                int k0 = block * Gemm.KC;
                unit(a, m, k0, Math.min(Gemm.KC, k - k0), part.weight, part.n, column, columns, partials,
                        part.partialsAt + block * m * part.stride + column, part.stride);
                // the decrement publishes this unit's sums to the thread that sees zero
                if (pending.decrementAndGet(part.firstTile + tile) == 0) {
                    reduce(part, column, columns);
                }
            }
        }

        /** A tile's block sums added to the bias (or zero) in order, as the GEMM's micro-kernels add theirs. */
        private void reduce(Part part, int column, int columns) {
            Gemm.initialize(part.out, part.n, 0, m, column, columns, part.bias);
            for (int block = 0; block < blocks; block++) {
                addSums(partials, part.partialsAt + block * m * part.stride + column, part.stride, m, part.out,
                        part.n, column, columns);
            }
        }
    }

    /** One weight of a {@link Call}: its operands and how its columns are cut into units. */
    private static final class Part {
        Tensor weight;
        float[] bias;
        MemorySegment out;
        int n;
        /** Columns per unit (the last may be narrower). */
        int width;
        int columnTiles;
        /** Floats between rows of sums (N plus padding). */
        int stride;
        int firstUnit;
        int firstTile;
        /** Block b's sums for row r start at partials[partialsAt + (b·m + r)·stride]. */
        int partialsAt;
    }

    /**
     * Adds sums (row r at {@code sums[from + r·stride …]}) to output rows 0…m − 1, {@code width} columns from
     * {@code column}.
     */
    private static void addSums(MemorySegment sums, int from, int stride, int m, MemorySegment out, int n,
                                int column, int width) {
        for (int r = 0; r < m; r++) {
            long at = ((long) r * n + column) * Float.BYTES;
            int row = from + r * stride;
            int c = 0;
            for (; c <= width - LANES; c += LANES) {
                long to = at + (long) c * Float.BYTES;
                FloatVector.fromMemorySegment(FLOATS, out, to, LE)
                        .add(FloatVector.fromMemorySegment(FLOATS, sums, (long) (row + c) * Float.BYTES, LE))
                        .intoMemorySegment(out, to, LE);
            }
            for (; c < width; c++) {
                long to = at + (long) c * Float.BYTES;
                out.set(F32, to, out.get(F32, to) + sums.getAtIndex(F32, row + c));
            }
        }
    }

    /**
     * The sums of weight rows {@code [k0, k0 + depth)} (one block), columns {@code [column, column + columns)}, for
     * every row of A, into {@code sums} from {@code to} (row r at {@code to + r·sumStride}).
     */
    private static void unit(Gemm.Rows a, int m, int k0, int depth, Tensor weight, int n, int column, int columns,
                             MemorySegment sums, int to, int sumStride) {
        float[] rows = Scratch.floats(Scratch.Slot.GEMM_A, m * depth + m * ROW_GROUP);
        // off heap like the weights, so that the kernels see one kind of memory segment
        MemorySegment buffer = Scratch.segment(Scratch.Slot.GEMM_B, (long) ROW_GROUP * columns * Float.BYTES);
        int group = m * depth;  // the current group's x values, (m, ROW_GROUP), follow the rows
        a.pack(0, m, k0, depth, rows);
        Gemm.initialize(sums, sumStride, 0, m, to, columns, null);  // rows of sums, sumStride apart, from float to
        long bytes = weight.dtype().byteSize();
        long rowBytes = n * bytes;
        boolean bf16 = weight.dtype() == DType.BF16;
        // F32 and BF16 weights are read in place (BF16 widened in registers). Rows shorter than a page, read side by
        // side, would run two streams through each page, and the L2 streamer follows one forward stream per page: for
        // up to two rows of A and 256-bit vectors a group of whole BF16 rows is applied one weight row after the other,
        // as one stream (see ROW_BY_ROW_BF16), otherwise the rows are first copied into the buffer one after the other
        // (the row-by-row sums traffic costs more than the copy with eight rows of A).
        // F16 weights, and a short last group padded with zero weights to go with its zero x (fma(0, 0, s) = s
        // exactly), are widened into the buffer.
        boolean copied = rowBytes < PAGE_BYTES;
        long copiedBytes = columns * bytes;
        int inPlace = weight.dtype() == DType.F16 ? 0 : depth - depth % ROW_GROUP;
        for (int p = 0; p < inPlace; p += ROW_GROUP) {
            groupValues(rows, m, depth, p, ROW_GROUP, group);
            long at = ((long) (k0 + p) * n + column) * bytes;
            if (ROW_BY_ROW_BF16 && copied && bf16 && columns == n && m <= 2) {  // whole rows: one contiguous run
                rowByRowBf16(rows, group, m, weight.segment(), at, rowBytes, columns, sums, to, sumStride);
            } else if (copied) {
                if (columns == n) {
                    MemorySegment.copy(weight.segment(), at, buffer, 0, ROW_GROUP * rowBytes);  // whole rows: one run
                } else {
                    for (int g = 0; g < ROW_GROUP; g++) {
                        MemorySegment.copy(weight.segment(), at + g * rowBytes, buffer, g * copiedBytes, copiedBytes);
                    }
                }
                applyGroup(rows, group, m, buffer, 0, copiedBytes, bf16, columns, sums, to, sumStride);
            } else {
                applyGroup(rows, group, m, weight.segment(), at, rowBytes, bf16, columns, sums, to, sumStride);
            }
        }
        if (bf16 && inPlace > 0) {
            interleave(sums, to, sumStride, m, columns);
        }
        for (int p = inPlace; p < depth; p += ROW_GROUP) {
            int used = Math.min(ROW_GROUP, depth - p);
            groupValues(rows, m, depth, p, used, group);
            long stride = (long) columns * Float.BYTES;
            Widening.rowsToFloats(weight.segment(), weight.dtype(), (long) (k0 + p) * n + column, n, used, buffer, 0,
                    stride, columns);
            if (used < ROW_GROUP) {
                buffer.asSlice(used * stride, (ROW_GROUP - used) * stride).fill((byte) 0);
            }
            applyGroup(rows, group, m, buffer, 0, stride, false, columns, sums, to, sumStride);
        }
    }

    /**
     * One group of eight weight rows (at byte {@code w0} of w, {@code stride} apart; F32, or BF16 when
     * {@code bf16}) applied to every row of A, two rows of A at a time: their x values at {@code x[group …]},
     * their sums from {@code to}, {@code sumStride} apart.
     */
    private static void applyGroup(float[] x, int group, int m, MemorySegment w, long w0, long stride, boolean bf16,
                                   int columns, MemorySegment sums, int to, int sumStride) {
        int bytes = bf16 ? Short.BYTES : Float.BYTES;
        int chunk = m <= 2 ? columns : CHUNK_BYTES / (ROW_GROUP * bytes);
        for (int c = 0; c < columns; c += chunk) {
            int width = Math.min(chunk, columns - c);
            long wc = w0 + (long) c * bytes;
            for (int r = 0; r < m; r += 2) {
                int at = group + r * ROW_GROUP;
                int s = to + r * sumStride + c;
                if (m - r >= 2 && bf16) {
                    rows2Bf16(x, at, w, wc, stride, width, sums, s, sumStride);
                } else if (m - r >= 2) {
                    rows2(x, at, w, wc, stride, width, sums, s, sumStride);
                } else if (bf16) {
                    rows1Bf16(x, at, w, wc, stride, width, sums, s);
                } else {
                    rows1(x, at, w, wc, stride, width, sums, s);
                }
            }
        }
    }

    /**
     * A group of eight whole short BF16 rows (one contiguous run from byte {@code w0}) applied one weight row at a
     * time to one or two rows of A ({@code m}), so that the group is read as one forward stream: for each weight row
     * g the sums take {@code fma(x[r][g], w[g][c], s)}, the order of {@link #rows2Bf16}, sums of whole runs permuted.
     */
    private static void rowByRowBf16(float[] x, int group, int m, MemorySegment w, long w0, long rowBytes,
                                     int columns, MemorySegment sums, int to, int sumStride) {
        int whole = columns - columns % (2 * LANES);
        long span = (long) whole * Float.BYTES;
        // a single row of A reads its own sums as the second row's and does not write the second row's back
        MemorySegment sums0 = sums.asSlice((long) to * Float.BYTES, span);
        MemorySegment sums1 = sums.asSlice((long) (to + (m - 1) * sumStride) * Float.BYTES, span);
        for (int g = 0; g < ROW_GROUP; g++) {
            MemorySegment row = w.asSlice(w0 + g * rowBytes, (long) whole * Short.BYTES);
            FloatVector x0 = FloatVector.broadcast(FLOATS, x[group + g]);
            FloatVector x1 = FloatVector.broadcast(FLOATS, m == 2 ? x[group + ROW_GROUP + g] : 0f);
            for (int c = 0; c < whole; c += 2 * LANES) {
                long sc = (long) c * Float.BYTES;
                long sd = sc + (long) LANES * Float.BYTES;
                IntVector p = IntVector.fromMemorySegment(Widening.INTS, row, (long) c * Short.BYTES, LE);
                FloatVector we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector wo = p.and(HIGH_HALF).reinterpretAsFloats();
                FloatVector a1 = x1.fma(we, FloatVector.fromMemorySegment(FLOATS, sums1, sc, LE));
                FloatVector b1 = x1.fma(wo, FloatVector.fromMemorySegment(FLOATS, sums1, sd, LE));
                FloatVector a0 = x0.fma(we, FloatVector.fromMemorySegment(FLOATS, sums0, sc, LE));
                FloatVector b0 = x0.fma(wo, FloatVector.fromMemorySegment(FLOATS, sums0, sd, LE));
                if (m == 2) {
                    a1.intoMemorySegment(sums1, sc, LE);
                    b1.intoMemorySegment(sums1, sd, LE);
                }
                a0.intoMemorySegment(sums0, sc, LE);
                b0.intoMemorySegment(sums0, sd, LE);
            }
        }
        tail(x, group, m, w, w0, rowBytes, true, columns, sums, to, sumStride, whole);
    }

    /**
     * The x values of weight rows {@code [p, p + used)} for each row of A (zero past {@code used}) at
     * {@code group}.
     */
    private static void groupValues(float[] rows, int m, int depth, int p, int used, int group) {
        for (int r = 0; r < m; r++) {
            for (int g = 0; g < ROW_GROUP; g++) {
                rows[group + r * ROW_GROUP + g] = g < used ? rows[r * depth + p + g] : 0f;
            }
        }
    }

    /**
     * Puts the BF16 kernels' sums back in column order: they keep each run of {@code 2·LANES} columns as the even
     * columns, then the odd ones (see {@link #rows2Bf16}).
     */
    private static void interleave(MemorySegment sums, int to, int sumStride, int m, int columns) {
        for (int r = 0; r < m; r++) {
            for (int c = to + r * sumStride, end = c + columns - columns % (2 * LANES); c < end; c += 2 * LANES) {
                long first = (long) c * Float.BYTES;
                long second = first + (long) LANES * Float.BYTES;
                FloatVector even = FloatVector.fromMemorySegment(FLOATS, sums, first, LE);
                FloatVector odd = FloatVector.fromMemorySegment(FLOATS, sums, second, LE);
                even.rearrange(FIRST_HALF, odd).intoMemorySegment(sums, first, LE);
                even.rearrange(SECOND_HALF, odd).intoMemorySegment(sums, second, LE);
            }
        }
    }

    // For each column c and row r: s = sums[r][c]; s = fma(x[r][g], w[g][c], s) for g = 0, 1, …, 7 in order.
    // x[r][g] is x[at + 8r + g]; w[g][c] is weight c of the row at byte w0 + g·stride of w; sums[r][c] is
    // sums[to + r·sumStride + c]. One kernel per row count, with the broadcast x values held in registers across
    // the columns, and two column vectors per iteration so that independent chains of multiply-adds overlap: with
    // one, each iteration's chain waited on the last (with four-row groups a single thread streamed 9.8 instead of
    // 11.3 GB/s).
    // F32 and BF16 weights get a kernel each: a weight vector loaded on one of two paths is boxed by the JIT, which
    // made a shared kernel five times slower.
    // Each kernel reads its eight weight rows and its rows of sums through slices of their own, indexed from the
    // column: C2 then proves every access in bounds before the loop. Indexed into the whole segment, each load kept
    // a bounds check and rebuilt its address from spilled registers, 205 instructions per iteration instead of 96;
    // the step's F32 GEMVs took 4-5 % less time so (Sapphire Rapids), BF16 ones the same.

    private static void rows2(float[] x, int at, MemorySegment w, long w0, long stride, int columns,
                              MemorySegment sums, int to, int sumStride) {
        FloatVector x00 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x01 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x02 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x03 = FloatVector.broadcast(FLOATS, x[at + 3]);
        FloatVector x04 = FloatVector.broadcast(FLOATS, x[at + 4]);
        FloatVector x05 = FloatVector.broadcast(FLOATS, x[at + 5]);
        FloatVector x06 = FloatVector.broadcast(FLOATS, x[at + 6]);
        FloatVector x07 = FloatVector.broadcast(FLOATS, x[at + 7]);
        FloatVector x10 = FloatVector.broadcast(FLOATS, x[at + 8]);
        FloatVector x11 = FloatVector.broadcast(FLOATS, x[at + 9]);
        FloatVector x12 = FloatVector.broadcast(FLOATS, x[at + 10]);
        FloatVector x13 = FloatVector.broadcast(FLOATS, x[at + 11]);
        FloatVector x14 = FloatVector.broadcast(FLOATS, x[at + 12]);
        FloatVector x15 = FloatVector.broadcast(FLOATS, x[at + 13]);
        FloatVector x16 = FloatVector.broadcast(FLOATS, x[at + 14]);
        FloatVector x17 = FloatVector.broadcast(FLOATS, x[at + 15]);
        long span = (long) columns * Float.BYTES;
        MemorySegment row0 = w.asSlice(w0, span);
        MemorySegment row1 = w.asSlice(w0 + stride, span);
        MemorySegment row2 = w.asSlice(w0 + 2 * stride, span);
        MemorySegment row3 = w.asSlice(w0 + 3 * stride, span);
        MemorySegment row4 = w.asSlice(w0 + 4 * stride, span);
        MemorySegment row5 = w.asSlice(w0 + 5 * stride, span);
        MemorySegment row6 = w.asSlice(w0 + 6 * stride, span);
        MemorySegment row7 = w.asSlice(w0 + 7 * stride, span);
        MemorySegment sums0 = sums.asSlice((long) to * Float.BYTES, (long) columns * Float.BYTES);
        MemorySegment sums1 = sums.asSlice((long) (to + sumStride) * Float.BYTES, (long) columns * Float.BYTES);
        int c = 0;
        // two column vectors at a time: four independent chains of eight dependent multiply-adds in flight
        for (; c <= columns - 2 * LANES; c += 2 * LANES) {
            long wc0 = (long) c * Float.BYTES;
            long wd0 = wc0 + (long) LANES * Float.BYTES;
            long sc = (long) c * Float.BYTES;
            long sd = sc + (long) LANES * Float.BYTES;
            FloatVector a0 = FloatVector.fromMemorySegment(FLOATS, sums0, sc, LE);
            FloatVector b0 = FloatVector.fromMemorySegment(FLOATS, sums0, sd, LE);
            FloatVector a1 = FloatVector.fromMemorySegment(FLOATS, sums1, sc, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOATS, sums1, sd, LE);
            FloatVector wc = FloatVector.fromMemorySegment(FLOATS, row0, wc0, LE);
            FloatVector wd = FloatVector.fromMemorySegment(FLOATS, row0, wd0, LE);
            a0 = x00.fma(wc, a0);
            b0 = x00.fma(wd, b0);
            a1 = x10.fma(wc, a1);
            b1 = x10.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row1, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row1, wd0, LE);
            a0 = x01.fma(wc, a0);
            b0 = x01.fma(wd, b0);
            a1 = x11.fma(wc, a1);
            b1 = x11.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row2, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row2, wd0, LE);
            a0 = x02.fma(wc, a0);
            b0 = x02.fma(wd, b0);
            a1 = x12.fma(wc, a1);
            b1 = x12.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row3, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row3, wd0, LE);
            a0 = x03.fma(wc, a0);
            b0 = x03.fma(wd, b0);
            a1 = x13.fma(wc, a1);
            b1 = x13.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row4, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row4, wd0, LE);
            a0 = x04.fma(wc, a0);
            b0 = x04.fma(wd, b0);
            a1 = x14.fma(wc, a1);
            b1 = x14.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row5, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row5, wd0, LE);
            a0 = x05.fma(wc, a0);
            b0 = x05.fma(wd, b0);
            a1 = x15.fma(wc, a1);
            b1 = x15.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row6, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row6, wd0, LE);
            a0 = x06.fma(wc, a0);
            b0 = x06.fma(wd, b0);
            a1 = x16.fma(wc, a1);
            b1 = x16.fma(wd, b1);
            wc = FloatVector.fromMemorySegment(FLOATS, row7, wc0, LE);
            wd = FloatVector.fromMemorySegment(FLOATS, row7, wd0, LE);
            a0 = x07.fma(wc, a0);
            b0 = x07.fma(wd, b0);
            a1 = x17.fma(wc, a1);
            b1 = x17.fma(wd, b1);
            a0.intoMemorySegment(sums0, sc, LE);
            b0.intoMemorySegment(sums0, sd, LE);
            a1.intoMemorySegment(sums1, sc, LE);
            b1.intoMemorySegment(sums1, sd, LE);
        }
        tail(x, at, 2, w, w0, stride, false, columns, sums, to, sumStride, c);
    }

    private static void rows1(float[] x, int at, MemorySegment w, long w0, long stride, int columns,
                              MemorySegment sums, int to) {
        FloatVector x00 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x01 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x02 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x03 = FloatVector.broadcast(FLOATS, x[at + 3]);
        FloatVector x04 = FloatVector.broadcast(FLOATS, x[at + 4]);
        FloatVector x05 = FloatVector.broadcast(FLOATS, x[at + 5]);
        FloatVector x06 = FloatVector.broadcast(FLOATS, x[at + 6]);
        FloatVector x07 = FloatVector.broadcast(FLOATS, x[at + 7]);
        long span = (long) columns * Float.BYTES;
        MemorySegment row0 = w.asSlice(w0, span);
        MemorySegment row1 = w.asSlice(w0 + stride, span);
        MemorySegment row2 = w.asSlice(w0 + 2 * stride, span);
        MemorySegment row3 = w.asSlice(w0 + 3 * stride, span);
        MemorySegment row4 = w.asSlice(w0 + 4 * stride, span);
        MemorySegment row5 = w.asSlice(w0 + 5 * stride, span);
        MemorySegment row6 = w.asSlice(w0 + 6 * stride, span);
        MemorySegment row7 = w.asSlice(w0 + 7 * stride, span);
        MemorySegment sums0 = sums.asSlice((long) to * Float.BYTES, (long) columns * Float.BYTES);
        int c = 0;
        for (; c <= columns - 2 * LANES; c += 2 * LANES) {
            long wc0 = (long) c * Float.BYTES;
            long wd0 = wc0 + (long) LANES * Float.BYTES;
            long sc = (long) c * Float.BYTES;
            long sd = sc + (long) LANES * Float.BYTES;
            FloatVector a = FloatVector.fromMemorySegment(FLOATS, sums0, sc, LE);
            FloatVector b = FloatVector.fromMemorySegment(FLOATS, sums0, sd, LE);
            a = x00.fma(FloatVector.fromMemorySegment(FLOATS, row0, wc0, LE), a);
            b = x00.fma(FloatVector.fromMemorySegment(FLOATS, row0, wd0, LE), b);
            a = x01.fma(FloatVector.fromMemorySegment(FLOATS, row1, wc0, LE), a);
            b = x01.fma(FloatVector.fromMemorySegment(FLOATS, row1, wd0, LE), b);
            a = x02.fma(FloatVector.fromMemorySegment(FLOATS, row2, wc0, LE), a);
            b = x02.fma(FloatVector.fromMemorySegment(FLOATS, row2, wd0, LE), b);
            a = x03.fma(FloatVector.fromMemorySegment(FLOATS, row3, wc0, LE), a);
            b = x03.fma(FloatVector.fromMemorySegment(FLOATS, row3, wd0, LE), b);
            a = x04.fma(FloatVector.fromMemorySegment(FLOATS, row4, wc0, LE), a);
            b = x04.fma(FloatVector.fromMemorySegment(FLOATS, row4, wd0, LE), b);
            a = x05.fma(FloatVector.fromMemorySegment(FLOATS, row5, wc0, LE), a);
            b = x05.fma(FloatVector.fromMemorySegment(FLOATS, row5, wd0, LE), b);
            a = x06.fma(FloatVector.fromMemorySegment(FLOATS, row6, wc0, LE), a);
            b = x06.fma(FloatVector.fromMemorySegment(FLOATS, row6, wd0, LE), b);
            a = x07.fma(FloatVector.fromMemorySegment(FLOATS, row7, wc0, LE), a);
            b = x07.fma(FloatVector.fromMemorySegment(FLOATS, row7, wd0, LE), b);
            a.intoMemorySegment(sums0, sc, LE);
            b.intoMemorySegment(sums0, sd, LE);
        }
        tail(x, at, 1, w, w0, stride, false, columns, sums, to, 0, c);
    }

    // The BF16 kernels read 2·LANES weights of a row as LANES ints, each holding an even column in its low half
    // and the next odd one in its high half: a shift and a mask widen them (a bfloat16 is the upper half of a
    // float), half the work of widening each half-width vector. The sums of such a run are kept as its even columns
    // then its odd ones, which interleave puts back in order; the columns past the last whole run go to tail.

    /** As {@link #rows2} with BF16 weights (w0 and stride in bytes of BF16 rows), sums of whole runs permuted. */
    private static void rows2Bf16(float[] x, int at, MemorySegment w, long w0, long stride, int columns,
                                  MemorySegment sums, int to, int sumStride) {
        FloatVector x00 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x01 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x02 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x03 = FloatVector.broadcast(FLOATS, x[at + 3]);
        FloatVector x04 = FloatVector.broadcast(FLOATS, x[at + 4]);
        FloatVector x05 = FloatVector.broadcast(FLOATS, x[at + 5]);
        FloatVector x06 = FloatVector.broadcast(FLOATS, x[at + 6]);
        FloatVector x07 = FloatVector.broadcast(FLOATS, x[at + 7]);
        FloatVector x10 = FloatVector.broadcast(FLOATS, x[at + 8]);
        FloatVector x11 = FloatVector.broadcast(FLOATS, x[at + 9]);
        FloatVector x12 = FloatVector.broadcast(FLOATS, x[at + 10]);
        FloatVector x13 = FloatVector.broadcast(FLOATS, x[at + 11]);
        FloatVector x14 = FloatVector.broadcast(FLOATS, x[at + 12]);
        FloatVector x15 = FloatVector.broadcast(FLOATS, x[at + 13]);
        FloatVector x16 = FloatVector.broadcast(FLOATS, x[at + 14]);
        FloatVector x17 = FloatVector.broadcast(FLOATS, x[at + 15]);
        long span = (long) columns * Short.BYTES;
        MemorySegment row0 = w.asSlice(w0, span);
        MemorySegment row1 = w.asSlice(w0 + stride, span);
        MemorySegment row2 = w.asSlice(w0 + 2 * stride, span);
        MemorySegment row3 = w.asSlice(w0 + 3 * stride, span);
        MemorySegment row4 = w.asSlice(w0 + 4 * stride, span);
        MemorySegment row5 = w.asSlice(w0 + 5 * stride, span);
        MemorySegment row6 = w.asSlice(w0 + 6 * stride, span);
        MemorySegment row7 = w.asSlice(w0 + 7 * stride, span);
        MemorySegment sums0 = sums.asSlice((long) to * Float.BYTES, (long) columns * Float.BYTES);
        MemorySegment sums1 = sums.asSlice((long) (to + sumStride) * Float.BYTES, (long) columns * Float.BYTES);
        int c = 0;
        for (; c <= columns - 2 * LANES; c += 2 * LANES) {
            long wc = (long) c * Short.BYTES;
            long sc = (long) c * Float.BYTES;
            long sd = sc + (long) LANES * Float.BYTES;
            FloatVector a0 = FloatVector.fromMemorySegment(FLOATS, sums0, sc, LE);
            FloatVector b0 = FloatVector.fromMemorySegment(FLOATS, sums0, sd, LE);
            FloatVector a1 = FloatVector.fromMemorySegment(FLOATS, sums1, sc, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOATS, sums1, sd, LE);
            IntVector p = IntVector.fromMemorySegment(Widening.INTS, row0, wc, LE);
            FloatVector we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x00.fma(we, a0);
            b0 = x00.fma(wo, b0);
            a1 = x10.fma(we, a1);
            b1 = x10.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row1, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x01.fma(we, a0);
            b0 = x01.fma(wo, b0);
            a1 = x11.fma(we, a1);
            b1 = x11.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row2, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x02.fma(we, a0);
            b0 = x02.fma(wo, b0);
            a1 = x12.fma(we, a1);
            b1 = x12.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row3, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x03.fma(we, a0);
            b0 = x03.fma(wo, b0);
            a1 = x13.fma(we, a1);
            b1 = x13.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row4, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x04.fma(we, a0);
            b0 = x04.fma(wo, b0);
            a1 = x14.fma(we, a1);
            b1 = x14.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row5, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x05.fma(we, a0);
            b0 = x05.fma(wo, b0);
            a1 = x15.fma(we, a1);
            b1 = x15.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row6, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x06.fma(we, a0);
            b0 = x06.fma(wo, b0);
            a1 = x16.fma(we, a1);
            b1 = x16.fma(wo, b1);
            p = IntVector.fromMemorySegment(Widening.INTS, row7, wc, LE);
            we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            wo = p.and(HIGH_HALF).reinterpretAsFloats();
            a0 = x07.fma(we, a0);
            b0 = x07.fma(wo, b0);
            a1 = x17.fma(we, a1);
            b1 = x17.fma(wo, b1);
            a0.intoMemorySegment(sums0, sc, LE);
            b0.intoMemorySegment(sums0, sd, LE);
            a1.intoMemorySegment(sums1, sc, LE);
            b1.intoMemorySegment(sums1, sd, LE);
        }
        tail(x, at, 2, w, w0, stride, true, columns, sums, to, sumStride, c);
    }

    /** As {@link #rows1} with BF16 weights (w0 and stride in bytes of BF16 rows), sums of whole runs permuted. */
    private static void rows1Bf16(float[] x, int at, MemorySegment w, long w0, long stride, int columns,
                                  MemorySegment sums, int to) {
        FloatVector x00 = FloatVector.broadcast(FLOATS, x[at]);
        FloatVector x01 = FloatVector.broadcast(FLOATS, x[at + 1]);
        FloatVector x02 = FloatVector.broadcast(FLOATS, x[at + 2]);
        FloatVector x03 = FloatVector.broadcast(FLOATS, x[at + 3]);
        FloatVector x04 = FloatVector.broadcast(FLOATS, x[at + 4]);
        FloatVector x05 = FloatVector.broadcast(FLOATS, x[at + 5]);
        FloatVector x06 = FloatVector.broadcast(FLOATS, x[at + 6]);
        FloatVector x07 = FloatVector.broadcast(FLOATS, x[at + 7]);
        long span = (long) columns * Short.BYTES;
        MemorySegment row0 = w.asSlice(w0, span);
        MemorySegment row1 = w.asSlice(w0 + stride, span);
        MemorySegment row2 = w.asSlice(w0 + 2 * stride, span);
        MemorySegment row3 = w.asSlice(w0 + 3 * stride, span);
        MemorySegment row4 = w.asSlice(w0 + 4 * stride, span);
        MemorySegment row5 = w.asSlice(w0 + 5 * stride, span);
        MemorySegment row6 = w.asSlice(w0 + 6 * stride, span);
        MemorySegment row7 = w.asSlice(w0 + 7 * stride, span);
        MemorySegment sums0 = sums.asSlice((long) to * Float.BYTES, (long) columns * Float.BYTES);
        int c = 0;
        for (; c <= columns - 2 * LANES; c += 2 * LANES) {
            long wc = (long) c * Short.BYTES;
            long sc = (long) c * Float.BYTES;
            long sd = sc + (long) LANES * Float.BYTES;
            FloatVector a = FloatVector.fromMemorySegment(FLOATS, sums0, sc, LE);
            FloatVector b = FloatVector.fromMemorySegment(FLOATS, sums0, sd, LE);
            IntVector p = IntVector.fromMemorySegment(Widening.INTS, row0, wc, LE);
            a = x00.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x00.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row1, wc, LE);
            a = x01.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x01.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row2, wc, LE);
            a = x02.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x02.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row3, wc, LE);
            a = x03.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x03.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row4, wc, LE);
            a = x04.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x04.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row5, wc, LE);
            a = x05.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x05.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row6, wc, LE);
            a = x06.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x06.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            p = IntVector.fromMemorySegment(Widening.INTS, row7, wc, LE);
            a = x07.fma(p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a);
            b = x07.fma(p.and(HIGH_HALF).reinterpretAsFloats(), b);
            a.intoMemorySegment(sums0, sc, LE);
            b.intoMemorySegment(sums0, sd, LE);
        }
        tail(x, at, 1, w, w0, stride, true, columns, sums, to, 0, c);
    }

    /** The columns past the last full vector, with the same fused multiply-adds as the vector lanes. */
    private static void tail(float[] x, int at, int height, MemorySegment w, long w0, long stride, boolean bf16,
                             int columns, MemorySegment sums, int to, int sumStride, int from) {
        for (int r = 0; r < height; r++) {
            for (int c = from; c < columns; c++) {
                float sum = sums.getAtIndex(F32, to + r * sumStride + c);
                for (int g = 0; g < ROW_GROUP; g++) {
                    long row = w0 + g * stride;
                    float weight = bf16 ? HalfFloats.bf16ToFloat(w.get(I16, row + 2L * c)) : w.get(F32, row + 4L * c);
                    sum = Math.fma(x[at + ROW_GROUP * r + g], weight, sum);
                }
                sums.setAtIndex(F32, to + r * sumStride + c, sum);
            }
        }
    }
}
