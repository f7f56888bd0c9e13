package io.github.jdalle.bench.models;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.testing.RandomWeights;
import io.github.jdalle.vqgan.VqganConfig;
import io.github.jdalle.vqgan.VqganDecoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The VQGAN f16-16384 decoder on random F32 weights of the real shapes: {@code grid} × {@code grid} tokens to
 * a picture 16 times larger on each side (16 → the 256 × 256 picture of DALL·E Mini).
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class VqganBenchmark extends BenchmarkBase {
    @Param({"16"})
    public int grid;

    @Param({ALL_THREADS})
    public String threads;

    private Backend backend;
    private RandomWeights source;
    private VqganDecoder decoder;
    private int[] tokens;

    @Setup
    public void setUp() {
        VqganConfig config = VqganConfig.imagenetF16x16384();
        backend = Backends.cpu(threadCount(threads));
        source = RandomWeights.of(config.parameterShapes(), null, 1);
        decoder = new VqganDecoder(config, Weights.of(source, backend));
        tokens = new SplittableRandom(2).ints((long) grid * grid, 0, config.codebookSize()).toArray();
    }

    @TearDown
    public void tearDown() {
        source.close();
        backend.close();
    }

    @Benchmark
    public RgbImage decode() {
        return decoder.decode(tokens, grid, grid);
    }

    /** Two FLOPs per multiply-add of the decoder; bytes are the decoder's F32 weights, read once (a lower bound). */
    public static Work work(String method, Map<String, String> params) {
        VqganConfig config = VqganConfig.imagenetF16x16384();
        int grid = Integer.parseInt(params.get("grid"));
        long weightBytes = config.parameterShapes().entrySet().stream()
                .filter(e -> e.getKey().startsWith("decoder/") || e.getKey().startsWith("post_quant_conv/"))
                .mapToLong(e -> 4 * Tensor.elementCount(e.getValue()))
                .sum();
        return new Work("VQGAN decode " + grid + "×" + grid + " tokens" + Work.threads(params.get("threads")),
                2.0 * config.decoderMultiplyAdds(grid, grid), weightBytes);
    }
}
