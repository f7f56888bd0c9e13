package io.github.jdalle.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread scratch arrays and off-heap buffers for the kernels, grown on demand and then reused by every
 * later call on the same thread, so that steady-state inference allocates nothing. Each slot belongs to one
 * purpose; a kernel never holds two arrays (or two buffers) of the same slot.
 */
final class Scratch {
    /** What a scratch array is for; kernels that call each other use different slots. */
    enum Slot {
        /** The packed right-hand GEMM operand (an array), or widened weight rows for the GEMV (a buffer). */
        GEMM_B,
        /** A packed strip of the left-hand GEMM operand. */
        GEMM_A,
        /** One register tile of GEMM output (a buffer, for a last strip narrower than the tile), or dot products' lanes. */
        GEMM_TILE,
        /** The GEMV's sums per block of K (a buffer), filled by the workers and added up tile by tile, the caller's. */
        GEMV_PARTIALS,
        /** A few weight rows widened to floats while packing. */
        GEMM_ROW,
        /** One row of F16 values widened on the way to off-heap memory. */
        WIDENED_ROW,
        /** A per-call scale (layer or group norm), shared read-only with the workers. */
        SCALE,
        /** A per-call bias, or the row that {@code add} broadcasts, shared read-only with the workers. */
        BIAS,
        /** Group-norm block sums, written by the workers block by block. */
        STATISTICS,
        /** A chunk of a first operand widened to floats. */
        OPERAND_A,
        /** A chunk of a second operand widened to floats. */
        OPERAND_B,
        /** The large parts of the arguments of a vectorised exp, and then its results. */
        EXP_HIGH,
        /** The small corrections to the arguments of a vectorised exp. */
        EXP_LOW,
        /** A factor applied to the results of a vectorised exp. */
        EXP_FACTOR,
        /** Attention scores of one query for every head. */
        ALL_SCORES,
        /** Attention scores of one query and head, through the softmax. */
        SCORES,
        /** One query row, the output accumulators and per-head statistics of attention. */
        HEAD
    }

    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    private final float[][] arrays = new float[Slot.values().length][];
    private final MemorySegment[] segments = new MemorySegment[Slot.values().length];
    private float[][] rows = new float[0][];

    private Scratch() {
    }

    /** This thread's array for {@code slot}, at least {@code length} long; its contents are undefined. */
    static float[] floats(Slot slot, int length) {
        float[][] arrays = LOCAL.get().arrays;
        float[] array = arrays[slot.ordinal()];
        if (array == null || array.length < length) {
            // grow by half again so that slowly growing shapes (a KV cache filling up) do not reallocate each call
            array = new float[Math.max(length, array == null ? 0 : array.length + array.length / 2)];
            arrays[slot.ordinal()] = array;
        }
        return array;
    }

    /** This thread's {@code count} distinct arrays, each at least {@code length} long (rows widened side by side). */
    static float[][] rows(int count, int length) {
        Scratch scratch = LOCAL.get();
        if (scratch.rows.length < count || scratch.rows[0].length < length) {
            int grown = scratch.rows.length == 0 ? 0 : scratch.rows[0].length * 3 / 2;
            scratch.rows = new float[count][Math.max(length, grown)];
        }
        return scratch.rows;
    }

    /**
     * This thread's off-heap buffer for {@code slot}, at least {@code bytes} long and 64-byte aligned, for
     * kernels that read it with the same code as a mapped weight file. Freed with the thread.
     */
    static MemorySegment segment(Slot slot, long bytes) {
        MemorySegment[] segments = LOCAL.get().segments;
        MemorySegment segment = segments[slot.ordinal()];
        if (segment == null || segment.byteSize() < bytes) {
            segment = Arena.ofAuto().allocate(Math.max(bytes, segment == null ? 0 : segment.byteSize() * 3 / 2), 64);
            segments[slot.ordinal()] = segment;
        }
        return segment;
    }
}
