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

import java.util.Map;

/**
 * Square F32 GEMM {@code (size, size) · (size, size)}, compute-bound: jdalle's {@code Backend.matmul} against
 * OpenBLAS SGEMM on the same tensors with the same thread count. The plain-Java peer is
 * {@link GemmPlainJavaBenchmark} (small sizes only: it takes seconds at 2048).
 */
@State(Scope.Benchmark)
public class GemmSquareBenchmark extends BenchmarkBase {
    @Param({"256", "512", "1024", "2048"})
    public int size;

    @Param({"1", ALL_THREADS})
    public String threads;

    private Backend backend;
    private Workspace workspace;
    private Tensor x;
    private Tensor weight;
    private Tensor out;

    @Setup
    public void setUp() {
        backend = Backends.cpu(threadCount(threads));
        workspace = backend.workspace();
        x = RandomTensors.uniform(workspace, DType.F32, 1, size, size);
        weight = RandomTensors.uniform(workspace, DType.F32, 2, size, size);
        out = workspace.f32(size, size);
    }

    @TearDown
    public void tearDown() {
        workspace.close();
        backend.close();
    }

    @Benchmark
    public void jdalle() {
        backend.matmul(x, weight, null, out);
    }

    @Benchmark
    public void openblas(Peer peer) {
        peer.sgemm.run();
    }

    /** OpenBLAS, set up only in the forks that run it (its thread count is process-wide). */
    @State(Scope.Benchmark)
    public static class Peer {
        private OpenBlas.Sgemm sgemm;

        @Setup
        public void setUp(GemmSquareBenchmark shape) {
            OpenBlas.useThreads(threadCount(shape.threads));
            sgemm = OpenBlas.Sgemm.of(shape.x, shape.weight, shape.out);
        }
    }

    /** FLOPs and bytes of one multiplication. */
    public static Work work(String method, Map<String, String> params) {
        int n = Integer.parseInt(params.get("size"));
        return Work.gemm("GEMM F32 " + n + "³" + Work.threads(params.getOrDefault("threads", "1")), n, n, n, 4);
    }
}
