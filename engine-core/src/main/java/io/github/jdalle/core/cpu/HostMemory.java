package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Memory handling of the backends that compute on the host (the CPU backend and the scalar reference its
 * tests compare against): weights are used in place, activations live in a shared arena per workspace.
 */
final class HostMemory {
    private HostMemory() {
    }

    /** A host weight as it is; a device tensor is refused. */
    static Tensor load(Tensor weight) {
        if (!weight.isHost()) {
            throw new JdalleException("the CPU backend cannot use a device tensor: " + weight);
        }
        return weight;
    }

    /** A workspace over a shared arena (worker threads touch its memory), freed on close. */
    static Workspace workspace() {
        Arena arena = Arena.ofShared();
        return new Workspace() {
            @Override
            public Tensor allocate(DType dtype, int... shape) {
                return Tensor.allocate(arena, dtype, shape);
            }

            @Override
            public void close() {
                arena.close();
            }
        };
    }

    /** Copies between host tensors of the same dtype and element count. */
    static void copy(Tensor source, Tensor destination) {
        if (source.dtype() != destination.dtype() || source.elementCount() != destination.elementCount()) {
            throw new JdalleException("copy: " + source + " does not fit " + destination);
        }
        MemorySegment.copy(source.segment(), 0, destination.segment(), 0, source.byteSize());
    }
}
