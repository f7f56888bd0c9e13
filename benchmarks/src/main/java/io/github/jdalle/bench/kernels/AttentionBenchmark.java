package io.github.jdalle.bench.kernels;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.RandomTensors;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.AttentionSpec;
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
 * Multi-head attention at DalleBart mini shapes (D = 1024, 16 heads of 64): one decoder step's self-attention
 * over a full 256-key cache (one query row per batch entry; the batch is images × {cond, uncond}), and the
 * encoder's 64 × 64 self-attention with a key-padding mask, for the prompt and the unconditional prompt.
 */
public class AttentionBenchmark extends BenchmarkBase {
    static final int WIDTH = 1024;
    static final int HEADS = 16;
    static final int CACHE = 256;
    static final int TEXT = 64;

    @Benchmark
    public void decoderStep(DecoderStep step) {
        step.backend.attention(step.q, step.k, step.v, step.spec, step.out);
    }

    @Benchmark
    public void encoder(Encoder encoder) {
        encoder.backend.attention(encoder.q, encoder.k, encoder.v, encoder.spec, encoder.out);
    }

    /** Inputs of one decoder step: q (B, 1, D) against a filled cache k, v (B, 256, D). */
    @State(Scope.Benchmark)
    public static class DecoderStep extends Inputs {
        /** B = 2 × images. */
        @Param({"2", "16"})
        public int batch;

        @Setup
        public void setUp() {
            allocate(batch, 1, CACHE, AttentionSpec.of(HEADS, 0.125f).overFirstKeys(CACHE));
        }
    }

    /** Inputs of the encoder's self-attention: q, k, v (2, 64, D) and an all-ones key mask. */
    @State(Scope.Benchmark)
    public static class Encoder extends Inputs {
        @Setup
        public void setUp() {
            allocate(2, TEXT, TEXT, null);
            int[] keep = new int[2 * TEXT];
            Arrays.fill(keep, 1);
            Tensor mask = workspace.allocate(DType.I32, 2, TEXT);
            backend.upload(Tensor.ofInts(keep, 2, TEXT), mask);
            spec = AttentionSpec.of(HEADS, 0.125f).withKeyMask(mask);
        }
    }

    /** The tensors and backend that both shapes share; {@code threads} sets the backend's thread count. */
    @State(Scope.Benchmark)
    public abstract static class Inputs {
        @Param({"1", ALL_THREADS})
        public String threads;

        Backend backend;
        Workspace workspace;
        Tensor q;
        Tensor k;
        Tensor v;
        Tensor out;
        AttentionSpec spec;

        void allocate(int batch, int queries, int keys, AttentionSpec spec) {
            backend = Backends.cpu(threadCount(threads));
            workspace = backend.workspace();
            q = RandomTensors.uniform(workspace, DType.F32, 1, batch, queries, WIDTH);
            k = RandomTensors.uniform(workspace, DType.F32, 2, batch, keys, WIDTH);
            v = RandomTensors.uniform(workspace, DType.F32, 3, batch, keys, WIDTH);
            out = workspace.f32(batch, queries, WIDTH);
            this.spec = spec;
        }

        @TearDown
        public void tearDown() {
            workspace.close();
            backend.close();
        }
    }

    /** Q·Kᵀ and A·V cost 2·B·Tq·Tk·D FLOPs each; q, k, v and out cross memory once. */
    public static Work work(String method, Map<String, String> params) {
        boolean step = method.equals("decoderStep");
        long batch = step ? Long.parseLong(params.get("batch")) : 2;
        long queries = step ? 1 : TEXT;
        long keys = step ? CACHE : TEXT;
        String shape = (step ? "attention decoder step B=" + batch + " over " + CACHE + " keys"
                : "attention encoder 2×64×64") + Work.threads(params.get("threads"));
        return new Work(shape, 4.0 * batch * queries * keys * WIDTH, 4.0 * WIDTH * batch * (2 * queries + 2 * keys));
    }
}
