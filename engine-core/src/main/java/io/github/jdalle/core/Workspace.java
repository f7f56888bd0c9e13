package io.github.jdalle.core;

/**
 * Per-call activation memory of one backend (KV caches, scratch tensors). Everything allocated from a
 * workspace is freed by {@link #close()}; a workspace belongs to one call and is not shared between
 * threads, though backend ops may touch its memory from their worker threads.
 */
public interface Workspace extends AutoCloseable {
    /** A zero-filled tensor on this workspace's backend. */
    Tensor allocate(DType dtype, int... shape);

    /** Shorthand for {@code allocate(DType.F32, shape)}. */
    default Tensor f32(int... shape) {
        return allocate(DType.F32, shape);
    }

    /** Frees every tensor allocated here; using them afterwards is an error. */
    @Override
    void close();
}
