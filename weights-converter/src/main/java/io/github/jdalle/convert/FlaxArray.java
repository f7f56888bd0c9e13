package io.github.jdalle.convert;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One array leaf of a Flax checkpoint: its "/"-joined path, dtype, shape and the pieces of the mapped file
 * that hold its row-major little-endian elements. A plain leaf has one piece; a chunked leaf (flax-msgpack
 * spec §6) has one per chunk, and a restacked unscanned DalleBart layer stack one per layer. Concatenated in
 * order, the pieces are the array. Nothing is copied: the pieces are views of the mapping.
 *
 * @param path   the Flax path, e.g. {@code decoder/conv_in/kernel}
 * @param dtype  the stored element type
 * @param shape  the dimensions (empty for a 0-d array); do not modify
 * @param pieces byte ranges of the mapped file whose concatenation is the array
 */
public record FlaxArray(String path, DType dtype, int[] shape, List<MemorySegment> pieces) {

    /** Copies the shape and the list, so the record stays immutable. */
    public FlaxArray {
        shape = shape.clone();
        pieces = List.copyOf(pieces);
    }

    /** A copy of the dimensions. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** The number of elements (1 for a 0-d array). */
    public long elementCount() {
        return Tensor.elementCount(shape);
    }

    /** The number of data bytes, the sum of the pieces' sizes. */
    public long byteSize() {
        return elementCount() * dtype.byteSize();
    }

    /** True when the data is one contiguous range of the file, so a {@link Tensor} can view it in place. */
    public boolean contiguous() {
        return pieces.size() == 1;
    }
}
