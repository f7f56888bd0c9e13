package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.RandomTensors;
import io.github.jdalle.bench.Work;
import io.github.jdalle.bench.peers.OpenBlas;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Arrays;
import java.util.Map;

/**
 * The OpenBLAS peer of {@link GemmDecoderBenchmark}: SGEMM on F32 weights at the same shapes, streaming
 * its weights from memory in the same way.
 */
@State(Scope.Benchmark)
public class GemmDecoderOpenBlasBenchmark extends BenchmarkBase {
    @Param({"1", "2", "8", "32"})
    public int m;

    @Param({"1024", "2048"})
    public int k;

    @Param({"2730", "4096", "16385"})
    public int n;

    @Param({"1", ALL_THREADS})
    public String threads;

    private Backend backend;
    private Workspace workspace;
    private OpenBlas.Sgemm[] sgemms;
    private int next;

    @Setup
    public void setUp() {
        OpenBlas.useThreads(threadCount(threads));
        backend = Backends.cpu(1);
        workspace = backend.workspace();
        Tensor x = RandomTensors.uniform(workspace, DType.F32, 1, m, k);
        Tensor out = workspace.f32(m, n);
        sgemms = Arrays.stream(new StreamedWeights(workspace, DType.F32, 2, k, n).copies())
                .map(weight -> OpenBlas.Sgemm.of(x, weight, out))
                .toArray(OpenBlas.Sgemm[]::new);
    }

    @TearDown
    public void tearDown() {
        workspace.close();
        backend.close();
    }

    @Benchmark
    public void openblas() {
        sgemms[next].run();
        next = (next + 1) % sgemms.length;
    }

    /** Same shape label as {@link GemmDecoderBenchmark#work}, with F32 weights. */
    public static Work work(String method, Map<String, String> params) {
        return GemmDecoderBenchmark.work(method, params);
    }
}
