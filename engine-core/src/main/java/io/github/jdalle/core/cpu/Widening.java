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
 * Widening of F32, F16 and BF16 storage to float. 16-bit weights stay 16-bit in memory; every kernel widens
 * them through here, a row at a time into an L1 buffer, exactly (each 16-bit value is a float).
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
    /** F16 elements widened per step when several rows are read side by side (512 bytes of each row). */
    private static final int F16_PIECE = 256;

    private Widening() {
    }

    /** bfloat16 lanes to float: a bfloat16 is the upper half of a float. */
    static FloatVector bf16(ShortVector bits) {
        IntVector wide = (IntVector) bits.convertShape(VectorOperators.S2I, INTS, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** {@code count} elements of {@code type} starting at element {@code index} of {@code source}, widened into {@code destination}. */
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
     * {@code source}, widened into off-heap memory at byte {@code offset + r·destinationStride}. The rows are
     * read side by side rather than one after the other, so that several streams from memory are in flight.
     */
    static void rowsToFloats(MemorySegment source, DType type, long index, long rowStride, int rows,
                             MemorySegment destination, long offset, long destinationStride, int count) {
        switch (type) {
            case F32 -> {
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(source, (index + r * rowStride) * 4, destination, offset + r * destinationStride,
                            (long) count * 4);
                }
            }
            case BF16 -> bf16RowsToFloats(source, index, rowStride, rows, destination, offset, destinationStride, count);
            case F16 -> f16RowsToFloats(source, index, rowStride, rows, destination, offset, destinationStride, count);
            case I32 -> throw new JdalleException("expected a floating-point tensor, got I32");
        }
    }

    private static void bf16RowsToFloats(MemorySegment source, long index, long rowStride, int rows,
                                         MemorySegment destination, long offset, long destinationStride, int count) {
        int i = 0;
        for (; i <= count - LANES; i += LANES) {
            for (int r = 0; r < rows; r++) {
                bf16(ShortVector.fromMemorySegment(SHORTS, source, (index + r * rowStride + i) * 2, LE))
                        .intoMemorySegment(destination, offset + r * destinationStride + (long) i * 4, LE);
            }
        }
        for (; i < count; i++) {
            for (int r = 0; r < rows; r++) {
                destination.set(F32, offset + r * destinationStride + (long) i * 4,
                        HalfFloats.bf16ToFloat(source.getAtIndex(I16, index + r * rowStride + i)));
            }
        }
    }

    /** Piece by piece of each row in turn, through an array: the JIT vectorises the F16 loop only into an array. */
    private static void f16RowsToFloats(MemorySegment source, long index, long rowStride, int rows,
                                        MemorySegment destination, long offset, long destinationStride, int count) {
        float[] piece = Scratch.floats(Scratch.Slot.WIDENED_ROW, F16_PIECE);
        for (int i = 0; i < count; i += F16_PIECE) {
            int length = Math.min(F16_PIECE, count - i);
            for (int r = 0; r < rows; r++) {
                f16ToFloats(source, index + r * rowStride + i, piece, 0, length);
                MemorySegment.copy(piece, 0, destination, F32, offset + r * destinationStride + (long) i * 4, length);
            }
        }
    }

    private static void bf16ToFloats(MemorySegment source, long index, float[] destination, int destinationIndex,
                                     int count) {
        int i = 0;
        for (; i <= count - LANES; i += LANES) {
            bf16(ShortVector.fromMemorySegment(SHORTS, source, (index + i) * 2, LE)).intoArray(destination, destinationIndex + i);
        }
        for (; i < count; i++) {
            destination[destinationIndex + i] = HalfFloats.bf16ToFloat(source.getAtIndex(I16, index + i));
        }
    }

    /** A plain loop: the JIT vectorises {@link Float#float16ToFloat} into the F16C conversion, faster than {@link #f16}. */
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
