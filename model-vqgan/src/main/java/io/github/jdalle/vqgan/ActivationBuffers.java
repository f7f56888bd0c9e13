package io.github.jdalle.vqgan;

import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The activation memory of one encode or decode: a few flat buffers from the call's workspace, each as large
 * as the model's largest activation, handed out as views and taken back as soon as a block is done with
 * them. A 256×256 decode thus holds three 32 MB buffers instead of every intermediate tensor of every level.
 * Not thread-safe; belongs to one call.
 */
final class ActivationBuffers {
    private final Workspace workspace;
    private final long capacity;
    private final Map<Long, Tensor> buffersByAddress = new HashMap<>();
    private final List<Tensor> free = new ArrayList<>();

    /** Buffers of {@code capacity} F32 elements (or larger, for a request that does not fit). */
    ActivationBuffers(Workspace workspace, long capacity) {
        this.workspace = workspace;
        this.capacity = capacity;
    }

    /** An F32 tensor of {@code shape} over a free buffer; its contents are whatever the buffer held last. */
    Tensor take(int... shape) {
        long count = Tensor.elementCount(shape);
        for (int i = free.size() - 1; i >= 0; i--) {
            if (free.get(i).elementCount() >= count) {
                return view(free.remove(i), count, shape);
            }
        }
        Tensor buffer = workspace.f32(Math.toIntExact(Math.max(count, capacity)));
        buffersByAddress.put(buffer.segment().address(), buffer);
        return view(buffer, count, shape);
    }

    /** Hands the buffer under {@code view} (a tensor from {@link #take}) back for reuse. */
    void release(Tensor view) {
        Tensor buffer = buffersByAddress.get(view.segment().address());
        if (buffer == null || free.contains(buffer)) {
            throw new IllegalStateException("released a tensor that is not a taken activation buffer: " + view);
        }
        free.add(buffer);
    }

    private static Tensor view(Tensor buffer, long count, int[] shape) {
        return buffer.narrow(0, Math.toIntExact(count)).reshape(shape);
    }
}
