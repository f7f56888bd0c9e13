package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.RandomTensors;
import io.github.jdalle.bench.Work;
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
 * GEMM at the shapes of one decoder step: a few activation rows (2 per image: conditioned and
 * unconditioned) times a weight matrix with F32, F16 or BF16 storage, memory-bound, so the figure of merit
 * is the weight bandwidth (GB/s in the roofline table). K = 1024 / 2048 and N = 2730 / 4096 / 16385 are the
 * mini / mega model widths, GLU widths and the LM head. The OpenBLAS peer, F32 only, is
 * {@link GemmDecoderOpenBlasBenchmark}.
 */
@State(Scope.Benchmark)
public class GemmDecoderBenchmark extends BenchmarkBase {
    @Param({"1", "2", "8", "32"})
    public int m;

    @Param({"1024", "2048"})
    public int k;

    @Param({"2730", "4096", "16385"})
    public int n;

    @Param({"F32", "F16", "BF16"})
    public DType weights;

    @Param({"1", ALL_THREADS})
    public String threads;

    private Backend backend;
    private Workspace workspace;
    private Tensor x;
    private StreamedWeights weight;
    private Tensor out;

    @Setup
    public void setUp() {
        backend = Backends.cpu(threadCount(threads));
        workspace = backend.workspace();
        x = RandomTensors.uniform(workspace, DType.F32, 1, m, k);
        weight = new StreamedWeights(workspace, weights, 2, k, n);
        out = workspace.f32(m, n);
    }

    @TearDown
    public void tearDown() {
        workspace.close();
        backend.close();
    }

    @Benchmark
    public void jdalle() {
        backend.matmul(x, weight.next(), null, out);
    }

    /** FLOPs and bytes of one multiplication; the weights dominate the bytes. */
    public static Work work(String method, Map<String, String> params) {
        int m = Integer.parseInt(params.get("m"));
        int k = Integer.parseInt(params.get("k"));
        int n = Integer.parseInt(params.get("n"));
        DType weights = DType.valueOf(params.getOrDefault("weights", "F32"));
        return Work.gemm("decoder GEMM " + m + "×" + k + "×" + n + Work.threads(params.get("threads")), m, k, n,
                weights.byteSize());
    }
}
