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
 * Normalization, memory-bound: DalleBart's layer norm (rows of 1024 or 2048: 16 rows is a decoder step of 8
 * images, 128 the encoder of one) and the VQGAN decoder's group norm (32 groups, NHWC) at each resolution
 * level it runs at.
 */
public class NormBenchmark extends BenchmarkBase {
    /** About 8 FLOPs per element: mean, variance, normalize, scale and bias. */
    static final double FLOPS_PER_ELEMENT = 8;

    @Benchmark
    public void layerNorm(LayerNormInputs inputs) {
        inputs.backend.layerNorm(inputs.x, inputs.scale, inputs.bias, 1e-5f, inputs.out);
    }

    @Benchmark
    public void groupNorm(GroupNormInputs inputs) {
        inputs.backend.groupNorm(inputs.x, 32, inputs.scale, inputs.bias, 1e-6f, inputs.out);
    }

    /** x (rows, width) with scale and bias (width). */
    @State(Scope.Benchmark)
    public static class LayerNormInputs extends Inputs {
        @Param({"16", "128"})
        public int rows;

        @Param({"1024", "2048"})
        public int width;

        @Setup
        public void setUp() {
            allocate(width, rows, width);
        }
    }

    /** x (1, H, W, C) with scale and bias (C); {@code hwc} is {@code HxWxC}. */
    @State(Scope.Benchmark)
    public static class GroupNormInputs extends Inputs {
        @Param({"16x16x512", "32x32x512", "64x64x256", "128x128x256", "256x256x128"})
        public String hwc;

        @Setup
        public void setUp() {
            int[] dims = parse(hwc);
            allocate(dims[2], 1, dims[0], dims[1], dims[2]);
        }
    }

    /** The tensors and backend both norms share. */
    @State(Scope.Benchmark)
    public abstract static class Inputs {
        @Param({"1", ALL_THREADS})
        public String threads;

        Backend backend;
        Workspace workspace;
        Tensor x;
        Tensor scale;
        Tensor bias;
        Tensor out;

        void allocate(int channels, int... shape) {
            backend = Backends.cpu(threadCount(threads));
            workspace = backend.workspace();
            x = RandomTensors.uniform(workspace, DType.F32, 1, shape);
            scale = RandomTensors.uniform(workspace, DType.F32, 2, channels);
            bias = RandomTensors.uniform(workspace, DType.F32, 3, channels);
            out = workspace.f32(shape);
        }

        @TearDown
        public void tearDown() {
            workspace.close();
            backend.close();
        }
    }

    static int[] parse(String hwc) {
        String[] parts = hwc.split("x");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2])};
    }

    /** One read and one write of x. */
    public static Work work(String method, Map<String, String> params) {
        String threads = Work.threads(params.get("threads"));
        long elements;
        String shape;
        if (method.equals("layerNorm")) {
            elements = Long.parseLong(params.get("rows")) * Long.parseLong(params.get("width"));
            shape = "layer norm " + params.get("rows") + "×" + params.get("width");
        } else {
            int[] hwc = parse(params.get("hwc"));
            elements = (long) hwc[0] * hwc[1] * hwc[2];
            shape = "group norm " + params.get("hwc");
        }
        return new Work(shape + threads, FLOPS_PER_ELEMENT * elements, 8.0 * elements);
    }
}
