package io.github.jdalle.cuda;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Device memory of one backend. Workspaces bump-allocate from large chunks that go back to a free list when
 * the workspace closes, so a generation loop that opens a workspace per call reuses the same memory instead of
 * calling cuMemAlloc/cuMemFree (which synchronizes) each time. Scratch buffers for multi-pass kernels are
 * owned by the backend and grow on demand; every op runs on one stream, so one buffer per purpose suffices.
 */
final class DeviceMemory implements AutoCloseable {
    private static final long CHUNK_BYTES = 64L << 20;
    private static final long ALIGNMENT = 256;

    /** What a scratch buffer is for; each purpose has its own. */
    enum Scratch {
        GEMV_PARTIAL, ATTENTION_STATS, ATTENTION_PARTIAL, GROUP_PARTIAL, GROUP_STATS, GATHER_FLAG,
        SAMPLE_ORDER, SAMPLE_UNIFORMS, SAMPLE_TOKENS
    }

    private record Block(long address, long bytes) {
    }

    private final CudaDevice device;
    private final List<Block> chunks = new ArrayList<>();
    private final List<Block> freeChunks = new ArrayList<>();
    private final List<Long> singles = new ArrayList<>();
    private final Map<Scratch, Block> scratch = new EnumMap<>(Scratch.class);

    DeviceMemory(CudaDevice device) {
        this.device = device;
    }

    /**
     * A tensor over device memory at {@code address}. Its segment only carries the address and size (the
     * host never dereferences it), so sizing it with the restricted {@code reinterpret} is safe.
     */
    @SuppressWarnings("restricted")
    static Tensor deviceTensor(DType dtype, long address, int... shape) {
        long bytes = Tensor.elementCount(shape) * dtype.byteSize();
        return Tensor.ofDevice(dtype, MemorySegment.ofAddress(address).reinterpret(bytes), shape);
    }

    /** A dedicated allocation that lives until the backend closes (uploaded weights). */
    synchronized long allocatePermanent(long bytes) {
        long address = device.allocate(bytes);
        singles.add(address);
        return address;
    }

    /** A scratch buffer of at least {@code bytes}; its contents are undefined. */
    synchronized long scratch(Scratch purpose, long bytes) {
        Block block = scratch.get(purpose);
        if (block == null || block.bytes() < bytes) {
            if (block != null) {
                device.synchronize(); // queued kernels may still use the old buffer
                device.free(block.address());
            }
            long size = Math.max(bytes, block == null ? 0 : 2 * block.bytes());
            block = new Block(device.allocate(size), size);
            scratch.put(purpose, block);
        }
        return block.address();
    }

    /** A new workspace drawing from the chunk pool. */
    Workspace workspace() {
        return new DeviceWorkspace();
    }

    private synchronized Block takeChunk(long bytes) {
        Block best = null;
        for (Block chunk : freeChunks) {
            if (chunk.bytes() >= bytes && (best == null || chunk.bytes() < best.bytes())) {
                best = chunk;
            }
        }
        if (best != null) {
            freeChunks.remove(best);
            return best;
        }
        long size = Math.max(CHUNK_BYTES, bytes);
        Block chunk = new Block(device.allocate(size), size);
        chunks.add(chunk);
        return chunk;
    }

    private synchronized void returnChunks(List<Block> returned) {
        freeChunks.addAll(returned);
    }

    @Override
    public synchronized void close() {
        for (Block chunk : chunks) {
            device.free(chunk.address());
        }
        for (long address : singles) {
            device.free(address);
        }
        for (Block block : scratch.values()) {
            device.free(block.address());
        }
        chunks.clear();
        freeChunks.clear();
        singles.clear();
        scratch.clear();
    }

    /** Activation memory of one call: zero-filled tensors bump-allocated from pooled chunks. */
    private final class DeviceWorkspace implements Workspace {
        private final List<Block> used = new ArrayList<>();
        private Block current;
        private long offset;
        private boolean closed;

        @Override
        public Tensor allocate(DType dtype, int... shape) {
            if (closed) {
                throw new IllegalStateException("workspace is closed");
            }
            long bytes = Tensor.elementCount(shape) * dtype.byteSize();
            long reserved = Math.max(ALIGNMENT, (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
            if (current == null || offset + reserved > current.bytes()) {
                current = takeChunk(reserved);
                used.add(current);
                offset = 0;
            }
            long address = current.address() + offset;
            offset += reserved;
            device.zero(address, bytes);
            return deviceTensor(dtype, address, shape);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                returnChunks(used);
                used.clear();
            }
        }
    }
}
