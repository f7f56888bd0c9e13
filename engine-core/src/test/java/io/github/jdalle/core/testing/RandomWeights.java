package io.github.jdalle.core.testing;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.LongStream;

/**
 * A {@link WeightSource} of random tensors with the given paths and shapes, for benchmarks and tests that need
 * weights of a real model's size but not its values (a 256×256 VQGAN decode, a DalleBart step). Each tensor is
 * drawn on first use from streams seeded by (seed, path, chunk), so values depend neither on the order of lookups
 * nor on the core count: kernels and tables (rank ≥ 2) N(0, 1/fanIn) with fanIn the product of all dimensions but
 * the last, which keeps activations at unit scale; vectors named {@code …scale} 1 ± 0.1; other vectors N(0, 0.02²).
 */
public final class RandomWeights implements WeightSource {
    /** Values drawn from one random stream; the chunks of a tensor are drawn in parallel. */
    private static final long CHUNK = 1 << 16;

    private final Map<String, int[]> shapes;
    private final String config;
    private final long seed;
    private final DType dtype;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> drawn = new TreeMap<>();

    private RandomWeights(Map<String, int[]> shapes, String config, long seed, DType dtype) {
        this.shapes = new TreeMap<>(shapes);
        this.config = config;
        this.seed = seed;
        this.dtype = dtype;
    }

    /** F32 random weights of {@code shapes} (Flax path → shape) with {@code config} as their config.json. */
    public static RandomWeights of(Map<String, int[]> shapes, String config, long seed) {
        return new RandomWeights(shapes, config, seed, DType.F32);
    }

    /** Like {@link #of}, stored as {@code dtype} (F32, F16 or BF16). */
    public static RandomWeights of(Map<String, int[]> shapes, String config, long seed, DType dtype) {
        return new RandomWeights(shapes, config, seed, dtype);
    }

    @Override
    public String description() {
        return "random weights (seed " + seed + ", " + dtype + ")";
    }

    @Override
    public synchronized Tensor tensor(String path) {
        int[] shape = shapes.get(path);
        if (shape == null) {
            throw new JdalleException(description() + ": no tensor " + path);
        }
        return drawn.computeIfAbsent(path, p -> draw(p, shape));
    }

    @Override
    public boolean contains(String path) {
        return shapes.containsKey(path);
    }

    @Override
    public List<String> paths() {
        return List.copyOf(shapes.keySet());
    }

    @Override
    public Optional<String> config() {
        return Optional.ofNullable(config);
    }

    @Override
    public Optional<byte[]> asset(String name) {
        return Optional.empty();
    }

    @Override
    public void close() {
        arena.close();
    }

    private Tensor draw(String path, int[] shape) {
        Tensor tensor = Tensor.allocate(arena, dtype, shape);
        long count = tensor.elementCount();
        long fanIn = shape.length == 0 ? 1 : count / shape[shape.length - 1];   // 0-d: a scalar such as CLIP's logit_scale
        boolean vectorScale = shape.length == 1 && path.endsWith("scale");
        double deviation = shape.length >= 2 ? 1 / Math.sqrt(fanIn) : 0.02;
        long pathSeed = seed * 0x9E3779B97F4A7C15L ^ path.hashCode();
        // chunks in parallel (DALL·E Mega is 2.6 G values), each from its own stream: same values on any core count
        LongStream.range(0, (count + CHUNK - 1) / CHUNK).parallel().forEach(chunk -> {
            var random = new SplittableRandom(pathSeed ^ chunk * 0xBF58476D1CE4E5B9L);
            for (long i = chunk * CHUNK, end = Math.min(count, i + CHUNK); i < end; i++) {
                double value = vectorScale ? 1 + random.nextDouble(-0.1, 0.1) : deviation * random.nextGaussian();
                tensor.setFloat(i, (float) value);
            }
        });
        return tensor;
    }
}
