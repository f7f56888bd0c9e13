package io.github.jdalle.dallebart;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A weight source whose F32 tensors are rounded to a 16-bit dtype in memory, as a converted checkpoint would be. */
final class NarrowedWeights implements WeightSource {
    private final WeightSource source;
    private final DType dtype;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> narrowed = new ConcurrentHashMap<>();

    NarrowedWeights(WeightSource source, DType dtype) {
        this.source = source;
        this.dtype = dtype;
    }

    @Override
    public String description() {
        return source.description() + " as " + dtype;
    }

    @Override
    public Tensor tensor(String path) {
        return narrowed.computeIfAbsent(path, p -> {
            Tensor wide = source.tensor(p);
            Tensor narrow = Tensor.allocate(arena, dtype, wide.shape());
            for (long i = 0; i < wide.elementCount(); i++) {
                narrow.setFloat(i, wide.getFloat(i));
            }
            return narrow;
        });
    }

    @Override
    public boolean contains(String path) {
        return source.contains(path);
    }

    @Override
    public List<String> paths() {
        return source.paths();
    }

    @Override
    public Optional<String> config() {
        return source.config();
    }

    @Override
    public Optional<byte[]> asset(String name) {
        return source.asset(name);
    }

    @Override
    public void close() {
        arena.close();
    }
}
