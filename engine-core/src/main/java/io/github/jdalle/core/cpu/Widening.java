package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widening of F32, F16 and BF16 storage to float, exactly (every 16-bit value is a float). 16-bit weights
 * stay 16-bit in memory; the kernels widen them through here, in registers or a few rows at a time into a
 * cache-sized buffer.
 */
final class Widening {
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    static final int LANES = FLOATS.length();
    /** Shorts with one lane per float lane: half the vector width. */
    static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Widening() {
    }

    /** bfloat16 lanes to float: a bfloat16 is the upper half of a float. */
    static FloatVector bf16(ShortVector bits) {
        IntVector wide = (IntVector) bits.convertShape(VectorOperators.S2I, INTS, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * {@code count} elements of {@code type} from element {@code index} of {@code source}, widened into
     * {@code destination}.
     */
    static void toFloats(MemorySegment source, DType type, long index, float[] destination, int destinationIndex,
                         int count) {
        switch (type) {
            case F32 -> MemorySegment.copy(source, F32, index * 4, destination, destinationIndex, count);
            case BF16 -> bf16ToFloats(source, index, destination, destinationIndex, count);
            case F16 -> f16ToFloats(source, index, destination, destinationIndex, count);
            case I32 -> throw new JdalleException("expected a floating-point tensor, got I32");
        }
    }

    /**
     * {@code rows} rows of {@code count} elements, row r starting at element {@code index + r·rowStride} of
     * {@code source}, widened into off-heap memory at byte {@code offset + r·destinationStride}. Four rows are
     * read side by side rather than one after the other, so that four streams from memory are in flight.
     */
    static void rowsToFloats(MemorySegment source, DType type, long index, long rowStride, int rows,
                             MemorySegment destination, long offset, long destinationStride, int count) {
        int r = 0;
        for (; r + 4 <= rows && type != DType.F32; r += 4) {
            long first = index + r * rowStride;
            long to = offset + r * destinationStride;
            if (type == DType.BF16) {
                int done = bf16FourRows(source, first * 2, rowStride * 2, destination, to, destinationStride, count);
                for (int q = 0; q < 4; q++) {
                    toFloats(source, type, first + q * rowStride + done, destination,
                            to + q * destinationStride + 4L * done, count - done);
                }
            } else {
                float[][] widened = Scratch.rows(4, count);
                f16FourRows(source, first, rowStride, widened[0], widened[1], widened[2], widened[3], count);
                for (int q = 0; q < 4; q++) {
                    MemorySegment.copy(widened[q], 0, destination, F32, to + q * destinationStride, count);
                }
            }
        }
        for (; r < rows; r++) {
            toFloats(source, type, index + r * rowStride, destination, offset + r * destinationStride, count);
        }
    }

    /** The full vectors of four BF16 rows (byte offsets and strides), side by side; returns the elements done. */
    private static int bf16FourRows(MemorySegment source, long from, long stride, MemorySegment destination,
                                    long to, long destinationStride, int count) {
        int i = 0;
        for (; i <= count - LANES; i += LANES) {
            long s = from + 2L * i;
            long d = to + 4L * i;
            bf16(ShortVector.fromMemorySegment(SHORTS, source, s, LE)).intoMemorySegment(destination, d, LE);
            bf16(ShortVector.fromMemorySegment(SHORTS, source, s + stride, LE))
                    .intoMemorySegment(destination, d + destinationStride, LE);
            bf16(ShortVector.fromMemorySegment(SHORTS, source, s + 2 * stride, LE))
                    .intoMemorySegment(destination, d + 2 * destinationStride, LE);
            bf16(ShortVector.fromMemorySegment(SHORTS, source, s + 3 * stride, LE))
                    .intoMemorySegment(destination, d + 3 * destinationStride, LE);
        }
        return i;
    }

    /**
     * Four F16 rows side by side into four arrays: the JIT vectorises {@link Float#float16ToFloat} into the
     * F16C conversion here, several times faster than any Vector API formulation, but only with array
     * destinations (distinct arrays, so that it can rule out overlap).
     */
    private static void f16FourRows(MemorySegment source, long index, long stride, float[] row0, float[] row1,
                                    float[] row2, float[] row3, int count) {
        long index1 = index + stride;
        long index2 = index1 + stride;
        long index3 = index2 + stride;
        for (int i = 0; i < count; i++) {
            row0[i] = Float.float16ToFloat(source.getAtIndex(I16, index + i));
            row1[i] = Float.float16ToFloat(source.getAtIndex(I16, index1 + i));
            row2[i] = Float.float16ToFloat(source.getAtIndex(I16, index2 + i));
            row3[i] = Float.float16ToFloat(source.getAtIndex(I16, index3 + i));
        }
    }

    /** As {@link #toFloats(MemorySegment, DType, long, float[], int, int)} into off-heap memory at byte {@code offset}. */
    static void toFloats(MemorySegment source, DType type, long index, MemorySegment destination, long offset,
                         int count) {
        switch (type) {
            case F32 -> MemorySegment.copy(source, index * 4, destination, offset, (long) count * 4);
            case BF16 -> bf16ToFloats(source, index, destination, offset, count);
            case F16 -> {
                // through an array: the JIT vectorises the conversion loop only with an array destination
                float[] row = Scratch.floats(Scratch.Slot.WIDENED_ROW, count);
                f16ToFloats(source, index, row, 0, count);
                MemorySegment.copy(row, 0, destination, F32, offset, count);
            }
            case I32 -> throw new JdalleException("expected a floating-point tensor, got I32");
        }
    }

    private static void bf16ToFloats(MemorySegment source, long index, MemorySegment destination, long offset,
                                     int count) {
        int i = 0;
        for (; i <= count - LANES; i += LANES) {
            bf16(ShortVector.fromMemorySegment(SHORTS, source, (index + i) * 2, LE)).intoMemorySegment(destination,
                    offset + 4L * i, LE);
        }
        for (; i < count; i++) {
            destination.set(F32, offset + 4L * i, HalfFloats.bf16ToFloat(source.getAtIndex(I16, index + i)));
        }
    }

    private static void bf16ToFloats(MemorySegment source, long index, float[] destination, int destinationIndex,
                                     int count) {
        int i = 0;
        for (; i <= count - LANES; i += LANES) {
            bf16(ShortVector.fromMemorySegment(SHORTS, source, (index + i) * 2, LE))
                    .intoArray(destination, destinationIndex + i);
        }
        for (; i < count; i++) {
            destination[destinationIndex + i] = HalfFloats.bf16ToFloat(source.getAtIndex(I16, index + i));
        }
    }

    /**
     * A plain loop: the JIT vectorises {@link Float#float16ToFloat} into the F16C conversion, several times
     * faster than any Vector API formulation.
     */
    private static void f16ToFloats(MemorySegment source, long index, float[] destination, int destinationIndex,
                                    int count) {
        for (int i = 0; i < count; i++) {
            destination[destinationIndex + i] = Float.float16ToFloat(source.getAtIndex(I16, index + i));
        }
    }

    /** All of {@code tensor} widened into this thread's scratch array for {@code slot}. */
    static float[] toFloats(Tensor tensor, Scratch.Slot slot) {
        int count = Math.toIntExact(tensor.elementCount());
        float[] values = Scratch.floats(slot, count);
        toFloats(tensor.segment(), tensor.dtype(), 0, values, 0, count);
        return values;
    }
}
