package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.RandomTensors;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VQGAN decoder's convolutions (F32 weights, NHWC, "same" padding), one of each distinct shape:
 * {@code 16x16x256to512k3} is a 3×3 convolution of a 16×16×256 input to 512 channels. From conv_in at 16×16
 * up to the 3×3 128→128 convolutions at 256×256, the largest (19 GFLOP), and conv_out to RGB; {@code k1} is
 * a 1×1 {@code nin_shortcut}.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class Conv2dBenchmark extends BenchmarkBase {
    private static final Pattern SHAPE = Pattern.compile("(\\d+)x(\\d+)x(\\d+)to(\\d+)k(\\d+)");

    @Param({"16x16x256to512k3", "16x16x512to512k3", "32x32x512to512k3", "32x32x512to256k1", "64x64x256to256k3",
            "128x128x256to256k3", "128x128x256to128k3", "256x256x128to128k3", "256x256x128to3k3"})
    public String conv;

    @Param({"1", ALL_THREADS})
    public String threads;

    private Backend backend;
    private Workspace workspace;
    private Tensor x;
    private Tensor kernel;
    private Tensor bias;
    private ConvSpec spec;
    private Tensor out;

    @Setup
    public void setUp() {
        Geometry g = Geometry.parse(conv);
        backend = Backends.cpu(threadCount(threads));
        workspace = backend.workspace();
        x = RandomTensors.uniform(workspace, DType.F32, 1, 1, g.height, g.width, g.inChannels);
        kernel = RandomTensors.uniform(workspace, DType.F32, 2,
                g.kernelSize, g.kernelSize, g.inChannels, g.outChannels);
        bias = RandomTensors.uniform(workspace, DType.F32, 3, g.outChannels);
        spec = ConvSpec.same(g.kernelSize);
        out = workspace.f32(1, g.height, g.width, g.outChannels);
    }

    @TearDown
    public void tearDown() {
        workspace.close();
        backend.close();
    }

    @Benchmark
    public void jdalle() {
        backend.conv2d(x, kernel, bias, spec, out);
    }

    /** One convolution shape; "same" padding keeps H × W. */
    record Geometry(int height, int width, int inChannels, int outChannels, int kernelSize) {
        static Geometry parse(String shape) {
            Matcher m = SHAPE.matcher(shape);
            if (!m.matches()) {
                throw new JdalleException("conv shape '" + shape + "' is not HxWxCINtoCOUTkK, e.g. 16x16x256to512k3");
            }
            return new Geometry(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
        }
    }

    /** 2·H·W·Cin·Cout·k² FLOPs; input, kernel and output cross memory once. */
    public static Work work(String method, Map<String, String> params) {
        Geometry g = Geometry.parse(params.get("conv"));
        double pixels = (double) g.height * g.width;
        double taps = (double) g.kernelSize * g.kernelSize;
        return new Work("conv2d " + params.get("conv") + Work.threads(params.get("threads")),
                2 * pixels * g.inChannels * g.outChannels * taps,
                4 * (pixels * (g.inChannels + g.outChannels) + taps * g.inChannels * g.outChannels));
    }
}
