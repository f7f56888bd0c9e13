package io.github.jdalle.bench.models;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.sampling.SamplingSettings;
import io.github.jdalle.core.testing.RandomWeights;
import io.github.jdalle.dallebart.DalleBart;
import io.github.jdalle.dallebart.DalleBartConfig;
import io.github.jdalle.dallebart.DecoderState;
import io.github.jdalle.dallebart.PromptTokens;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * DalleBart on random weights of the real shapes: the encoder pass over one prompt and the unconditional
 * prompt (mini-1), and one generation step (decoder step over the KV cache, then guided top-k sampling) for
 * 1, 4 and 8 images (mini-1, F32 as released) and for one image of mega-1 with BF16 weights (5.2 GB). A
 * decoder state runs through all 256 positions and is then started again outside the timing, so a step's
 * time is the average over the whole generation.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
public class DalleBartBenchmark extends BenchmarkBase {
    static final float CONDITION_SCALE = 10f;

    @Benchmark
    public Tensor encoder(MiniPrompt model) {
        try (Workspace workspace = model.backend.workspace()) {
            return model.model.encode(workspace, model.ids, model.mask);
        }
    }

    @Benchmark
    public int[] decoderStep(MiniDecoding decoding) {
        return decoding.step();
    }

    @Benchmark
    public int[] megaDecoderStep(MegaDecoding decoding) {
        return decoding.step();
    }

    /** mini-1 with an encoded prompt; {@code weights} is the storage dtype. */
    @State(Scope.Benchmark)
    public static class MiniPrompt extends Model {
        @Param({"F32"})
        public DType weights;

        @Setup
        public void setUp() {
            load(DalleBartConfig.mini1(), weights);
        }
    }

    /** Decoding {@code images} mini-1 images (two decoder rows each: conditioned and unconditioned). */
    @State(Scope.Benchmark)
    public static class MiniDecoding extends Decoding {
        @Param({"1", "4", "8"})
        public int images;

        @Param({"F32"})
        public DType weights;

        @Setup
        public void setUp() {
            load(DalleBartConfig.mini1(), weights);
            start(images);
        }
    }

    /** Decoding with mega-1, stored in BF16 by default so that it fits a 24 GB machine with room to spare. */
    @State(Scope.Benchmark)
    public static class MegaDecoding extends Decoding {
        @Param({"1"})
        public int images;

        @Param({"BF16"})
        public DType weights;

        @Setup
        public void setUp() {
            load(DalleBartConfig.mega1(), weights);
            start(images);
        }
    }

    /** The model on the backend and one prompt plus the unconditional prompt, tokenized as the generator does. */
    @State(Scope.Benchmark)
    public abstract static class Model {
        @Param({ALL_THREADS})
        public String threads;

        Backend backend;
        RandomWeights source;
        DalleBart model;
        Workspace workspace;
        Tensor ids;
        Tensor mask;

        void load(DalleBartConfig config, DType dtype) {
            backend = Backends.cpu(threadCount(threads));
            source = RandomWeights.of(config.parameterShapes(), config.toJson(), 1, dtype);
            model = DalleBart.load(source, backend);
            workspace = backend.workspace();
            int length = config.maxTextLength();
            PromptTokens prompt = randomPrompt(config, 12);
            PromptTokens unconditional = PromptTokens.unconditional(length);
            ids = upload(concat(prompt.ids(), unconditional.ids()), length);
            mask = upload(concat(prompt.mask(), unconditional.mask()), length);
        }

        @TearDown
        public void tearDown() {
            workspace.close();
            source.close();
            backend.close();
        }

        private Tensor upload(int[] values, int length) {
            Tensor onBackend = workspace.allocate(DType.I32, 2, length);
            backend.upload(Tensor.ofInts(values, 2, length), onBackend);
            return onBackend;
        }

        /** {@code <s>}, {@code contentTokens} random text ids, {@code </s>}, padding. */
        private static PromptTokens randomPrompt(DalleBartConfig config, int contentTokens) {
            int[] ids = new int[config.maxTextLength()];
            int[] mask = new int[ids.length];
            Arrays.fill(ids, PromptTokens.PAD);
            SplittableRandom random = new SplittableRandom(3);
            ids[0] = PromptTokens.BOS;
            for (int i = 1; i <= contentTokens; i++) {
                ids[i] = random.nextInt(3, config.encoderVocabSize());
            }
            ids[contentTokens + 1] = PromptTokens.EOS;
            Arrays.fill(mask, 0, contentTokens + 2, 1);
            return new PromptTokens(ids, mask);
        }

        private static int[] concat(int[] first, int[] second) {
            return IntStream.concat(IntStream.of(first), IntStream.of(second)).toArray();
        }
    }

    /** One generation in progress: the decoder state, the tokens fed back, each image's random stream. */
    public abstract static class Decoding extends Model {
        private int images;
        private Workspace decoding;
        private DecoderState state;
        private int[] previous;
        private RandomStream[] streams;

        void start(int imageCount) {
            images = imageCount;
            streams = IntStream.range(0, images).mapToObj(i -> RandomStream.forImage(4, i))
                    .toArray(RandomStream[]::new);
            restart();
        }

        /** A fresh generation once the last one has filled every position. */
        @Setup(Level.Invocation)
        public void nextStep() {
            if (state.position() == model.config().imageLength()) {
                decoding.close();
                restart();
            }
        }

        private void restart() {
            try (Workspace encoding = backend.workspace()) {
                decoding = backend.workspace();
                int[] promptOfRow = IntStream.range(0, 2 * images).map(row -> row < images ? 0 : 1).toArray();
                state = model.startDecoding(decoding, model.encode(encoding, ids, mask), mask, promptOfRow);
            }
            previous = new int[2 * images];
            Arrays.fill(previous, model.config().decoderStartTokenId());
        }

        /** Decoder step, guided sampling, and the sampled tokens fed back to both rows of each image. */
        int[] step() {
            Tensor logits = model.decodeStep(state, previous);                    // (2·images, V + 1)
            int[] next = backend.sampleGuided(logits.narrow(0, images), logits.narrow(images, images),
                    CONDITION_SCALE, Math.min(model.config().imageVocabSize(), 16384), SamplingSettings.DEFAULT,
                    streams);
            System.arraycopy(next, 0, previous, 0, images);
            System.arraycopy(next, 0, previous, images, images);
            return next;
        }

        @TearDown
        public void closeDecoding() {
            decoding.close();
        }
    }

    /**
     * Encoder: 2 prompts × 64 tokens through every layer's projections and GLU, plus 64 × 64 attention. A
     * decoder step: each row's token through the decoder layers (the cross-attention keys and values are
     * computed once per generation, not per step) and the lm_head, attention over on average 128.5 cached
     * positions and the 64 text positions; weights and caches are read once per step.
     */
    public static Work work(String method, Map<String, String> params) {
        DType weights = DType.valueOf(params.get("weights"));
        String threads = Work.threads(params.get("threads"));
        if (method.equals("encoder")) {
            DalleBartConfig c = DalleBartConfig.mini1();
            double tokens = 2.0 * c.maxTextLength();
            double layerWeights = 4.0 * c.dModel() * c.dModel() + 3.0 * c.dModel() * c.encoderFfnDim();
            double attention = 4.0 * tokens * c.maxTextLength() * c.dModel();
            return new Work("DalleBart mini-1 encoder, 2 prompts, " + weights + threads,
                    c.encoderLayers() * (2 * tokens * layerWeights + attention),
                    c.encoderLayers() * layerWeights * weights.byteSize());
        }
        DalleBartConfig c = method.equals("megaDecoderStep") ? DalleBartConfig.mega1() : DalleBartConfig.mini1();
        double rows = 2.0 * Integer.parseInt(params.get("images"));
        double width = c.dModel();
        double stepWeights = c.stepWeightCount();
        double keys = (c.imageLength() + 1) / 2.0 + c.maxTextLength();
        double cacheBytes = c.decoderLayers() * rows * keys * width * 2 * 4;
        return new Work((method.equals("megaDecoderStep") ? "DalleBart mega-1" : "DalleBart mini-1")
                + " step, " + params.get("images") + " images, " + weights + threads,
                2 * rows * stepWeights + c.decoderLayers() * 4 * rows * keys * width,
                stepWeights * weights.byteSize() + cacheBytes);
    }
}
