package io.github.jdalle.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A row-major, contiguous n-dimensional array: a dtype, a shape and a {@link MemorySegment} that holds the
 * elements. The segment may be off-heap memory, a slice of a memory-mapped weight file, or (for the CUDA
 * backend) a device address; {@link #isHost()} tells which. Views ({@link #slice}, {@link #narrow},
 * {@link #reshape}) share the storage and never copy. Tensors are immutable handles; the memory they view
 * is written by backend ops.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED;

    private final DType dtype;
    private final int[] shape;
    private final MemorySegment data;
    private final boolean host;

    private Tensor(DType dtype, int[] shape, MemorySegment data, boolean host) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.host = host;
    }

    /** A host tensor over {@code data}, whose byte size must equal the element count times the dtype size. */
    public static Tensor of(DType dtype, MemorySegment data, int... shape) {
        return wrap(dtype, data, true, shape);
    }

    /**
     * A tensor over memory that only a backend can address (for example a CUDA device pointer wrapped with
     * {@code MemorySegment.ofAddress(ptr).reinterpret(bytes)}). Host reads of such a tensor are refused.
     */
    public static Tensor ofDevice(DType dtype, MemorySegment data, int... shape) {
        return wrap(dtype, data, false, shape);
    }

    private static Tensor wrap(DType dtype, MemorySegment data, boolean host, int... shape) {
        int[] dims = shape.clone();
        long bytes = elementCount(dims) * dtype.byteSize();
        if (data.byteSize() != bytes) {
            throw new JdalleException("tensor of shape " + Arrays.toString(dims) + " " + dtype + " needs " + bytes
                    + " bytes, storage has " + data.byteSize());
        }
        return new Tensor(dtype, dims, data, host);
    }

    /** A zero-filled host tensor allocated in {@code arena} (64-byte aligned, so vector loads stay aligned). */
    public static Tensor allocate(Arena arena, DType dtype, int... shape) {
        long bytes = elementCount(shape) * dtype.byteSize();
        return of(dtype, arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes), shape);
    }

    /** A host F32 tensor holding a copy of {@code values}, in memory owned by the garbage collector. */
    public static Tensor ofFloats(float[] values, int... shape) {
        Tensor t = allocate(Arena.ofAuto(), DType.F32, shape);
        if (values.length != t.elementCount()) {
            throw new JdalleException(values.length + " values do not fill shape " + Arrays.toString(shape));
        }
        MemorySegment.copy(values, 0, t.data, F32_LE, 0, values.length);
        return t;
    }

    /** A host I32 tensor holding a copy of {@code values}, in memory owned by the garbage collector. */
    public static Tensor ofInts(int[] values, int... shape) {
        Tensor t = allocate(Arena.ofAuto(), DType.I32, shape);
        if (values.length != t.elementCount()) {
            throw new JdalleException(values.length + " values do not fill shape " + Arrays.toString(shape));
        }
        MemorySegment.copy(values, 0, t.data, I32_LE, 0, values.length);
        return t;
    }

    /** Product of the dimensions, checked for overflow and negative sizes. */
    public static long elementCount(int... shape) {
        long count = 1;
        for (int dim : shape) {
            if (dim < 0) {
                throw new JdalleException("negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, (long) dim);
        }
        return count;
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Whether {@code other} has this shape (without copying either shape). */
    public boolean hasShapeOf(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public long elementCount() {
        return elementCount(shape);
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** The storage; for a device tensor its address is only meaningful to the backend that owns it. */
    public MemorySegment segment() {
        return data;
    }

    /** True when the storage is host memory that Java code may read and write. */
    public boolean isHost() {
        return host;
    }

    /** Size of the last dimension, the length of one row in the row-major layout. */
    public int columns() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Number of rows of length {@link #columns()}: the product of every dimension but the last. */
    public int rows() {
        return Math.toIntExact(elementCount() / Math.max(columns(), 1));
    }

    /** The sub-tensor at {@code index} along the first axis (rank drops by one); shares storage. */
    public Tensor slice(int index) {
        checkRankAtLeast(1);
        if (index < 0 || index >= shape[0]) {
            throw new JdalleException("index " + index + " out of range for first axis of " + Arrays.toString(shape));
        }
        int[] rest = Arrays.copyOfRange(shape, 1, shape.length);
        long stride = elementCount(rest) * dtype.byteSize();
        return new Tensor(dtype, rest, data.asSlice(index * stride, stride), host);
    }

    /** Rows {@code [start, start + count)} along the first axis; shares storage. */
    public Tensor narrow(int start, int count) {
        checkRankAtLeast(1);
        if (start < 0 || count < 0 || start + count > shape[0]) {
            throw new JdalleException("range [" + start + ", " + (start + count) + ") out of range for first axis of "
                    + Arrays.toString(shape));
        }
        int[] dims = shape.clone();
        dims[0] = count;
        long stride = elementCount(Arrays.copyOfRange(shape, 1, shape.length)) * dtype.byteSize();
        return new Tensor(dtype, dims, data.asSlice(start * stride, count * stride), host);
    }

    /** The same elements under another shape; one dimension may be -1 and is inferred. */
    public Tensor reshape(int... newShape) {
        int[] dims = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (inferred >= 0) {
                    throw new JdalleException("more than one -1 in reshape " + Arrays.toString(newShape));
                }
                inferred = i;
            } else {
                known = Math.multiplyExact(known, (long) dims[i]);
            }
        }
        if (inferred >= 0) {
            if (known == 0 || elementCount() % known != 0) {
                throw new JdalleException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
            }
            dims[inferred] = Math.toIntExact(elementCount() / known);
        }
        if (elementCount(dims) != elementCount()) {
            throw new JdalleException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(dtype, dims, data, host);
    }

    /** Element {@code index} (row-major) widened to float; host tensors only. */
    public float getFloat(long index) {
        checkHost();
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32_LE, index);
            case F16 -> HalfFloats.f16ToFloat(data.getAtIndex(I16_LE, index));
            case BF16 -> HalfFloats.bf16ToFloat(data.getAtIndex(I16_LE, index));
            case I32 -> data.getAtIndex(I32_LE, index);
        };
    }

    /** Sets element {@code index} (row-major), narrowing as the dtype requires; host tensors only. */
    public void setFloat(long index, float value) {
        checkHost();
        switch (dtype) {
            case F32 -> data.setAtIndex(F32_LE, index, value);
            case F16 -> data.setAtIndex(I16_LE, index, HalfFloats.floatToF16(value));
            case BF16 -> data.setAtIndex(I16_LE, index, HalfFloats.floatToBf16(value));
            case I32 -> data.setAtIndex(I32_LE, index, (int) value);
        }
    }

    /** Element {@code index} of an I32 tensor; host tensors only. */
    public int getInt(long index) {
        checkHost();
        checkDType(DType.I32);
        return data.getAtIndex(I32_LE, index);
    }

    /** Sets element {@code index} of an I32 tensor; host tensors only. */
    public void setInt(long index, int value) {
        checkHost();
        checkDType(DType.I32);
        data.setAtIndex(I32_LE, index, value);
    }

    /** All elements widened to float (a copy); host tensors only. */
    public float[] toFloatArray() {
        checkHost();
        int n = Math.toIntExact(elementCount());
        float[] out = new float[n];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32_LE, 0, out, 0, n);
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = getFloat(i);
            }
        }
        return out;
    }

    /** All elements of an I32 tensor (a copy); host tensors only. */
    public int[] toIntArray() {
        checkHost();
        checkDType(DType.I32);
        int n = Math.toIntExact(elementCount());
        int[] out = new int[n];
        MemorySegment.copy(data, I32_LE, 0, out, 0, n);
        return out;
    }

    /** Throws unless the shape equals {@code expected}; the message names {@code what}. */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new JdalleException(what + ": expected shape " + Arrays.toString(expected) + ", got "
                    + Arrays.toString(shape));
        }
        return this;
    }

    private void checkRankAtLeast(int rank) {
        if (shape.length < rank) {
            throw new JdalleException("tensor of shape " + Arrays.toString(shape) + " has rank below " + rank);
        }
    }

    private void checkHost() {
        if (!host) {
            throw new JdalleException("tensor lives on a device; copy it to the host through its backend first");
        }
    }

    private void checkDType(DType expected) {
        if (dtype != expected) {
            throw new JdalleException("expected a " + expected + " tensor, got " + dtype);
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype + (host ? "" : " (device)");
    }
}
