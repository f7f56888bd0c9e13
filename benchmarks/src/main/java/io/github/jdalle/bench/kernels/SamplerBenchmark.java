package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.RandomTensors;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.sampling.SamplingSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Map;

/**
 * The end of a decoder step over the 16385 image-token logits: softmax over each row, and the guided sampler
 * (mix {@code uncond + 10·(cond − uncond)}, temperature, top-k 50, draw) that picks one token per image.
 */
@State(Scope.Benchmark)
public class SamplerBenchmark extends BenchmarkBase {
    static final int LOGITS = 16385;
    static final int IMAGE_VOCAB = 16384;

    @Param({"1", "8"})
    public int images;

    @Param({"1", ALL_THREADS})
    public String threads;

    private Backend backend;
    private Workspace workspace;
    private Tensor cond;
    private Tensor uncond;
    private Tensor probabilities;
    private RandomStream[] streams;

    @Setup
    public void setUp() {
        backend = Backends.cpu(threadCount(threads));
        workspace = backend.workspace();
        cond = RandomTensors.uniform(workspace, DType.F32, 1, images, LOGITS);
        uncond = RandomTensors.uniform(workspace, DType.F32, 2, images, LOGITS);
        probabilities = workspace.f32(images, LOGITS);
        streams = new RandomStream[images];
        for (int i = 0; i < images; i++) {
            streams[i] = RandomStream.forImage(1, i);
        }
    }

    @TearDown
    public void tearDown() {
        workspace.close();
        backend.close();
    }

    @Benchmark
    public void softmax() {
        backend.softmax(cond, probabilities);
    }

    @Benchmark
    public int[] sampleTopK() {
        return backend.sampleGuided(cond, uncond, 10f, IMAGE_VOCAB, SamplingSettings.DEFAULT, streams);
    }

    /** Softmax reads and writes each logit; sampling reads both logit rows. FLOPs are a few per logit. */
    public static Work work(String method, Map<String, String> params) {
        long logits = Long.parseLong(params.get("images")) * LOGITS;
        String shape = method + " " + params.get("images") + "×" + LOGITS + Work.threads(params.get("threads"));
        return method.equals("softmax") ? new Work(shape, 4.0 * logits, 8.0 * logits)
                : new Work(shape, 3.0 * logits, 8.0 * logits);
    }
}
