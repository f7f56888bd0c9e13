package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.RandomTensors;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

import java.lang.foreign.MemorySegment;

/**
 * Copies of one random weight matrix that together exceed any last-level cache, handed out in turn, so that
 * every call streams its weights from memory as a decoder step does: it touches hundreds of megabytes of
 * weights once each, never the same matrix twice in a row.
 */
final class StreamedWeights {
    /** Total size of the copies: several times the largest last-level caches of desktop and server parts. */
    static final long TOTAL_BYTES = 256L << 20;

    private final Tensor[] copies;
    private int next;

    StreamedWeights(Workspace workspace, DType dtype, long seed, int rows, int columns) {
        Tensor first = RandomTensors.uniform(workspace, dtype, seed, rows, columns);
        copies = new Tensor[(int) Math.max(1, (TOTAL_BYTES + first.byteSize() - 1) / first.byteSize())];
        copies[0] = first;
        for (int i = 1; i < copies.length; i++) {
            copies[i] = workspace.allocate(dtype, rows, columns);
            MemorySegment.copy(first.segment(), 0, copies[i].segment(), 0, first.byteSize());
        }
    }

    /** Every copy, in the order {@link #next()} hands them out. */
    Tensor[] copies() {
        return copies.clone();
    }

    /** The copy after the previous one. */
    Tensor next() {
        Tensor copy = copies[next];
        next = (next + 1) % copies.length;
        return copy;
    }
}
