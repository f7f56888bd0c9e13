package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.Work;
import io.github.jdalle.bench.peers.PlainJavaGemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * The plain-Java peer of {@link GemmSquareBenchmark}: one thread, float arrays, the textbook triple loop.
 * Only the small sizes, where it finishes in well under a second.
 */
@State(Scope.Benchmark)
public class GemmPlainJavaBenchmark extends BenchmarkBase {
    @Param({"256", "512"})
    public int size;

    private float[] x;
    private float[] weight;
    private float[] out;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        x = new float[size * size];
        weight = new float[size * size];
        out = new float[size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * random.nextDouble() - 1);
            weight[i] = (float) (2 * random.nextDouble() - 1);
        }
    }

    @Benchmark
    public float[] scalar() {
        PlainJavaGemm.multiply(x, weight, out, size, size, size);
        return out;
    }

    /** Same shape label as {@link GemmSquareBenchmark#work} with one thread, so the rows are compared. */
    public static Work work(String method, Map<String, String> params) {
        return GemmSquareBenchmark.work(method, Map.of("size", params.get("size"), "threads", "1"));
    }
}
