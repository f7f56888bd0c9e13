package io.github.jdalle.core;

/**
 * Storage type of a {@link Tensor}. Floating-point types are widened to F32 inside the kernels, so model
 * code never branches on a dtype: the backend picks the kernel from the storage type.
 */
public enum DType {
    F32(4), F16(2), BF16(2), I32(4);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for the three floating-point storage types. */
    public boolean isFloatingPoint() {
        return this != I32;
    }
}
