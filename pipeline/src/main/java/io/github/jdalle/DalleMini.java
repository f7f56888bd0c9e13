package io.github.jdalle;

import io.github.jdalle.clip.ClipModel;
import io.github.jdalle.clip.Ranking;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.dallebart.CancellationToken;
import io.github.jdalle.dallebart.DalleBartGenerator;
import io.github.jdalle.dallebart.GenerationCancelledException;
import io.github.jdalle.vqgan.VqganDecoder;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * DALL·E Mini (or Mega) as a library: prompts in, ranked pictures out. Built from three models — DalleBart
 * (text → 256 image tokens), VQGAN (tokens → a 256 × 256 picture) and optionally CLIP (scores each picture
 * against its prompt, to rank them) — each a {@code .jdw} weight file or a Hugging Face model folder:
 *
 * <pre>{@code
 * try (DalleMini dalle = DalleMini.builder()
 *         .dallebart(Path.of("mini.jdw")).vqgan(Path.of("vqgan.jdw")).clip(Path.of("clip.jdw"))
 *         .build()) {
 *     Generation result = dalle.generate(GenerationRequest.of("an armchair in the shape of an avocado").withSeed(7));
 *     BufferedImage best = result.prompts().getFirst().best().toBufferedImage();
 * }
 * }</pre>
 *
 * <p>Immutable and safe to share between threads: the weights are loaded once and every call keeps its state
 * (KV cache, activations) to itself. Pictures depend only on the prompt, seed, picture number and settings
 * (see {@link GenerationRequest}), not on the batch, thread count or backend (up to float rounding on a GPU).
 * Closing releases the backend (when this instance created it) and unmaps the weights.
 */
public final class DalleMini implements AutoCloseable {
    private final Backend backend;
    private final boolean ownsBackend;
    private final List<WeightSource> sources;
    private final DalleBartGenerator generator;
    private final VqganDecoder vqgan;
    private final ClipModel clip;
    private final Duration loadTime;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DalleMini(Backend backend, boolean ownsBackend, List<WeightSource> sources, DalleBartGenerator generator,
                      VqganDecoder vqgan, ClipModel clip, Duration loadTime) {
        this.backend = backend;
        this.ownsBackend = ownsBackend;
        this.sources = List.copyOf(sources);
        this.generator = generator;
        this.vqgan = vqgan;
        this.clip = clip;
        this.loadTime = loadTime;
    }

    /** A builder: name the model files, optionally the backend, then {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The backend every model runs on, e.g. {@code "cpu (16 threads)"}. */
    public String backendName() {
        return backend.name();
    }

    /** How long opening the files and building the models took. */
    public Duration loadTime() {
        return loadTime;
    }

    /** True when a VQGAN model was given, so that {@link #generate} can make pictures. */
    public boolean hasVqgan() {
        return vqgan != null;
    }

    /** True when a CLIP model was given, so that pictures get scores and a ranking. */
    public boolean ranks() {
        return clip != null;
    }

    /** Generates without progress reports or cancellation. */
    public Generation generate(GenerationRequest request) {
        return generate(request, GenerationListener.NONE, new CancellationToken());
    }

    /**
     * Generates the pictures of {@code request}: tokens from DalleBart, pictures from VQGAN, then per prompt
     * the CLIP scores and ranking (none without a CLIP model).
     *
     * @param listener     told after every decoder step and given the previews the request asks for
     * @param cancellation checked before every decoder step; once set, the call stops with a
     *                     {@link GenerationCancelledException} carrying the tokens so far
     * @throws JdalleException when there is no VQGAN model, or a prompt does not fit the model
     */
    public Generation generate(GenerationRequest request, GenerationListener listener, CancellationToken cancellation) {
        if (vqgan == null) {
            throw new JdalleException("no VQGAN model: give one to the builder (vqgan(path)) to make pictures, "
                    + "or ask for tokens() only");
        }
        long start = System.nanoTime();
        TokenRun run = sample(request, listener, cancellation);

        long vqganStart = System.nanoTime();
        List<RgbImage> images = Arrays.stream(run.tokens()).map(vqgan::decode).toList();
        long clipStart = System.nanoTime();
        int perPrompt = request.imagesPerPrompt();
        List<PromptPictures> prompts = new ArrayList<>();
        for (int p = 0; p < request.prompts().size(); p++) {
            String prompt = request.prompts().get(p);
            List<RgbImage> own = images.subList(p * perPrompt, (p + 1) * perPrompt);
            Ranking ranking = clip == null ? null : clip.rank(prompt, own);
            List<Picture> pictures = new ArrayList<>();
            for (int j = 0; j < perPrompt; j++) {
                OptionalDouble score = ranking == null ? OptionalDouble.empty() : OptionalDouble.of(ranking.scores()[j]);
                pictures.add(new Picture(request.imageNumber(p, j), run.tokens()[p * perPrompt + j], own.get(j), score));
            }
            int[] order = ranking == null ? IntStream.range(0, perPrompt).toArray() : ranking.order();
            prompts.add(new PromptPictures(prompt, pictures, order));
        }
        long end = System.nanoTime();
        Timings timings = new Timings(run.encode(), run.decode(), run.steps(), Duration.ofNanos(clipStart - vqganStart),
                Duration.ofNanos(end - clipStart), Duration.ofNanos(end - start));
        return new Generation(request, prompts, timings);
    }

    /**
     * Only the image tokens of {@code request} (no VQGAN or CLIP needed): per picture, in request order, its
     * codes in row-major grid order. Previews are not made.
     */
    public int[][] tokens(GenerationRequest request, GenerationListener listener, CancellationToken cancellation) {
        return sample(request.withPreviewEvery(0), listener, cancellation).tokens();
    }

    /** The tokens of a call and the time its encoder and decoder steps took. */
    private record TokenRun(int[][] tokens, Duration encode, Duration decode, int steps) {
    }

    private TokenRun sample(GenerationRequest request, GenerationListener listener, CancellationToken cancellation) {
        io.github.jdalle.dallebart.SamplingRequest tokenRequest = generator
                .request(request.prompts(), request.imagesPerPrompt(), request.seed())
                .withFirstImage(request.firstImage())
                .withConditionScale(request.conditionScale())
                .withSampling(request.sampling());
        StepTimer timer = new StepTimer(request.previewEvery(), listener);
        var result = generator.generate(tokenRequest, timer, cancellation);
        backend.synchronize();
        long decoded = System.nanoTime();
        int[][] tokens = IntStream.range(0, result.imageCount()).mapToObj(result::tokens).toArray(int[][]::new);
        return new TokenRun(tokens, Duration.ofNanos(timer.encoded - timer.start),
                Duration.ofNanos(decoded - timer.encoded - timer.previewNanos), generator.model().config().imageLength());
    }

    /** Times the encoder and the decoder steps, and makes the previews between steps. */
    private final class StepTimer implements io.github.jdalle.dallebart.GenerationListener {
        final long start = System.nanoTime();
        final int previewEvery;
        final GenerationListener listener;
        long encoded;
        long previewNanos;

        StepTimer(int previewEvery, GenerationListener listener) {
            this.previewEvery = previewEvery;
            this.listener = listener;
        }

        @Override
        public void onEncoded() {
            backend.synchronize();
            encoded = System.nanoTime();
        }

        @Override
        public void onStep(int step, int totalSteps, int[][] tokensSoFar) {
            listener.onStep(step, totalSteps);
            boolean previewDue = previewEvery > 0 && vqgan != null && (step + 1) % previewEvery == 0 && step + 1 < totalSteps;
            if (previewDue) {
                long previewStart = System.nanoTime();
                int side = (int) Math.round(Math.sqrt(totalSteps));
                List<RgbImage> previews = Arrays.stream(tokensSoFar)
                        .map(known -> vqgan.decode(PreviewGrid.fill(known, totalSteps, side))).toList();
                listener.onPreview(step, totalSteps, previews);
                previewNanos += System.nanoTime() - previewStart;
            }
        }
    }

    /** Releases the backend (if this instance created it) and unmaps the weight files; closing twice is harmless. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (ownsBackend) {
                backend.close();
            }
            sources.forEach(WeightSource::close);
        }
    }

    /**
     * Collects the model files and the backend of a {@link DalleMini}. The DalleBart model is required; the
     * VQGAN model is required for pictures (without it only {@link #tokens} works); CLIP is optional.
     */
    public static final class Builder {
        private Path dallebart;
        private Path vqganFile;
        private Path clipFile;
        private String backendName = "cpu";
        private int threads;
        private Backend sharedBackend;

        private Builder() {
        }

        /** The DalleBart model (mini or mega): a {@code .jdw} file or a hub model folder. */
        public Builder dallebart(Path path) {
            this.dallebart = path;
            return this;
        }

        /** The VQGAN model: a {@code .jdw} file or a hub model folder. */
        public Builder vqgan(Path path) {
            this.vqganFile = path;
            return this;
        }

        /** The CLIP model that ranks the pictures, or null for none. */
        public Builder clip(Path path) {
            this.clipFile = path;
            return this;
        }

        /** The backend to create by name: {@code "cpu"} (the default) or {@code "cuda"}. */
        public Builder backend(String name) {
            this.backendName = name;
            return this;
        }

        /** Worker threads of a created backend; 0 (the default) means one per core. */
        public Builder threads(int count) {
            if (count < 0) {
                throw new JdalleException("thread count must be 0 (one per core) or more, got " + count);
            }
            this.threads = count;
            return this;
        }

        /** Runs on an existing backend instead of creating one; the caller keeps it and closes it. */
        public Builder backend(Backend backend) {
            this.sharedBackend = backend;
            return this;
        }

        /**
         * Opens the files and builds the models. A missing file, a file that holds another model than its slot
         * needs (a VQGAN file given as the DalleBart model), or models that do not fit together (more image
         * tokens than VQGAN codes) is a {@link JdalleException} naming the file.
         */
        public DalleMini build() {
            if (dallebart == null) {
                throw new JdalleException("a DalleBart model is required: builder().dallebart(path)");
            }
            long start = System.nanoTime();
            boolean owns = sharedBackend == null;
            Backend backend = owns ? Backends.create(backendName, threads) : sharedBackend;
            List<WeightSource> opened = new ArrayList<>();
            try {
                DalleBartGenerator generator = DalleBartGenerator.load(open(dallebart, ModelKind.DALLE_BART, opened), backend);
                VqganDecoder decoder = vqganFile == null ? null
                        : VqganDecoder.load(open(vqganFile, ModelKind.VQGAN, opened), backend);
                if (decoder != null && generator.vocabLimit() > decoder.config().codebookSize()) {
                    throw new JdalleException(dallebart + " makes image tokens up to " + (generator.vocabLimit() - 1)
                            + " but the VQGAN model " + vqganFile + " has only " + decoder.config().codebookSize()
                            + " codes: the two models do not belong together");
                }
                ClipModel ranker = clipFile == null ? null : ClipModel.load(open(clipFile, ModelKind.CLIP, opened), backend);
                return new DalleMini(backend, owns, opened, generator, decoder, ranker,
                        Duration.ofNanos(System.nanoTime() - start));
            } catch (RuntimeException e) {
                if (owns) {
                    backend.close();
                }
                opened.forEach(WeightSource::close);
                throw e;
            }
        }

        private static WeightSource open(Path path, ModelKind kind, List<WeightSource> opened) {
            WeightSource source = ModelFiles.open(path, kind);
            opened.add(source);
            return source;
        }
    }
}
