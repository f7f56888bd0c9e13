package io.github.jdalle.vqgan;

import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;

import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/** A weight source whose tensors pass through a function first (another dtype, another stored shape). */
record TransformedSource(WeightSource source, BiFunction<String, Tensor, Tensor> transform) implements WeightSource {
    @Override
    public String description() {
        return "transformed " + source.description();
    }

    @Override
    public Tensor tensor(String path) {
        return transform.apply(path, source.tensor(path));
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
        // the wrapped source belongs to the caller
    }
}
