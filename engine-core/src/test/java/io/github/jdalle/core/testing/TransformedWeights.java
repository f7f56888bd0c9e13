package io.github.jdalle.core.testing;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * A weight source whose tensors pass through a function of (path, stored tensor) first: another dtype, another
 * stored shape. Each path is transformed once. Closing it frees what it allocated, not the wrapped source,
 * which belongs to the caller.
 */
public final class TransformedWeights implements WeightSource {
    private final WeightSource source;
    private final String how;
    private final BiFunction<String, Tensor, Tensor> transform;
    private final Arena arena;
    private final Map<String, Tensor> transformed = new ConcurrentHashMap<>();

    /** {@code source} with {@code transform} applied to each tensor; {@code how} says what it does, for messages. */
    public TransformedWeights(WeightSource source, String how, BiFunction<String, Tensor, Tensor> transform) {
        this(source, how, transform, Arena.ofShared());
    }

    private TransformedWeights(WeightSource source, String how, BiFunction<String, Tensor, Tensor> transform,
                               Arena arena) {
        this.source = source;
        this.how = how;
        this.transform = transform;
        this.arena = arena;
    }

    /** {@code source} with every tensor rounded to {@code dtype} in memory, as a converted checkpoint would be. */
    public static TransformedWeights narrowed(WeightSource source, DType dtype) {
        Arena arena = Arena.ofShared();
        return new TransformedWeights(source, "as " + dtype, (path, wide) -> {
            Tensor narrow = Tensor.allocate(arena, dtype, wide.shape());
            for (long i = 0; i < wide.elementCount(); i++) {
                narrow.setFloat(i, wide.getFloat(i));
            }
            return narrow;
        }, arena);
    }

    @Override
    public String description() {
        return source.description() + " " + how;
    }

    @Override
    public Tensor tensor(String path) {
        return transformed.computeIfAbsent(path, p -> transform.apply(p, source.tensor(p)));
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
