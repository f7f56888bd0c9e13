package io.github.jdalle.dallebart;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.sampling.SamplingSettings;
import io.github.jdalle.dallebart.text.BartTokenizer;
import io.github.jdalle.dallebart.text.TextNormalizer;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Super-conditioned sampling of image tokens (spec §5.1). Per call: encode every prompt and the unconditional
 * input once; compute their cross-attention keys and values once; then {@code imageLength} decoder steps, each
 * one batch over every image × {cond, uncond}. The logits of a step are mixed {@code uncond + s·(cond − uncond)},
 * ids that are not VQGAN codes are masked, then temperature → top-k → top-p → a draw from the image's own
 * {@link RandomStream}, so a seed gives the same tokens whatever the batch size or thread count.
 *
 * <p>Deliberate deviation from upstream: the start token (and mega's padding ids) are never sampled; upstream
 * leaves them sampleable, but they never win because they were never training targets.
 */
public final class DalleBartGenerator {
    /** Codes of the VQGAN codebook that turns tokens into pixels; ids at or above it are not pictures. */
    public static final int VQGAN_CODEBOOK_SIZE = 16384;

    private final DalleBart model;
    private final TextNormalizer normalizer;
    private final BartTokenizer tokenizer;

    /** A generator over {@code model} that takes tokenized prompts only; it may serve many threads. */
    public DalleBartGenerator(DalleBart model) {
        this(model, null, null);
    }

    /**
     * A generator over {@code model} that also takes prompt text, normalized (when the config says
     * {@code normalize_text}) and tokenized with these; it may serve many threads.
     */
    public DalleBartGenerator(DalleBart model, TextNormalizer normalizer, BartTokenizer tokenizer) {
        this.model = model;
        this.normalizer = normalizer;
        this.tokenizer = tokenizer;
    }

    /**
     * The model of a DalleBart weight file on {@code backend}, with the normalizer and tokenizer of its assets
     * ({@code vocab.json}, {@code merges.txt}, and {@code enwiki-words-frequency.txt} when present).
     */
    public static DalleBartGenerator load(WeightSource source, Backend backend) {
        return new DalleBartGenerator(DalleBart.load(source, backend), TextNormalizer.fromAssets(source),
                BartTokenizer.fromAssets(source));
    }

    /** The model this generator samples from. */
    public DalleBart model() {
        return model;
    }

    /**
     * A prompt as the model reads it: normalized when the config asks for it, then tokenized.
     *
     * @param people the stream that picks the words of a lone {@code <person>} tag (spec §4.2 step 6)
     */
    public PromptTokens tokenize(String prompt, RandomStream people) {
        if (tokenizer == null) {
            throw new JdalleException("this generator was made without a tokenizer; pass token ids or use load()");
        }
        return tokenizer.encode(model.config().normalizeText() ? normalizer.normalize(prompt, people) : prompt);
    }

    /**
     * A request for {@code imagesPerPrompt} images of each prompt text with dalle-mini's defaults (scale 10,
     * top-k 50, temperature 1). Prompt p's {@code <person>} words are drawn from the stream of
     * (seed, −1 − p), which no image uses.
     */
    public SamplingRequest request(List<String> prompts, int imagesPerPrompt, long seed) {
        List<PromptTokens> tokens = IntStream.range(0, prompts.size())
                .mapToObj(p -> tokenize(prompts.get(p), RandomStream.forImage(seed, -1L - p))).toList();
        return new SamplingRequest(tokens, imagesPerPrompt, seed, SamplingRequest.DEFAULT_CONDITION_SCALE,
                SamplingSettings.DEFAULT);
    }

    /** Sampled ids are below this: {@code min(image_vocab_size, 16384)}. */
    public int vocabLimit() {
        return Math.min(model.config().imageVocabSize(), VQGAN_CODEBOOK_SIZE);
    }

    /** Generates without progress reports or cancellation. */
    public GenerationResult generate(SamplingRequest request) {
        return generate(request, GenerationListener.NONE, new CancellationToken());
    }

    /**
     * Generates the image tokens of {@code request}.
     *
     * @throws GenerationCancelledException when {@code cancellation} is set before a step; it carries the tokens so far
     * @throws JdalleException              when a prompt does not fit the model (length, ids, mask)
     */
    public GenerationResult generate(SamplingRequest request, GenerationListener listener,
                                     CancellationToken cancellation) {
        DalleBartConfig config = model.config();
        for (int prompt = 0; prompt < request.prompts().size(); prompt++) {
            checkPrompt(prompt, request.prompts().get(prompt));
        }
        Backend backend = model.backend();
        int images = request.imageCount();
        int steps = config.imageLength();
        boolean guided = request.conditionScale() != 1f;
        int rows = guided ? 2 * images : images;

        // encoder rows: the prompts, then the unconditional input; decoder rows: cond images, then uncond images
        List<PromptTokens> encoded = guided
                ? Stream.concat(request.prompts().stream(),
                        Stream.of(PromptTokens.unconditional(config.maxTextLength()))).toList()
                : request.prompts();
        int unconditional = request.prompts().size();
        int[] promptOfRow = IntStream.range(0, rows)
                .map(row -> row < images ? row / request.imagesPerPrompt() : unconditional).toArray();
        RandomStream[] streams = IntStream.range(0, images)
                .mapToObj(image -> RandomStream.forImage(request.seed(), request.firstImage() + image))
                .toArray(RandomStream[]::new);

        int[][] tokens = new int[images][steps];
        int[] previous = new int[rows];
        Arrays.fill(previous, config.decoderStartTokenId());
        try (Workspace workspace = backend.workspace()) {
            DecoderState state;
            try (Workspace encoding = backend.workspace()) {
                // padding past the longest prompt is never attended to: neither encoder nor decoder sees it
                int positions = encoded.stream().mapToInt(PromptTokens::length).max().orElseThrow();
                Tensor ids = upload(encoding, encoded.stream().map(PromptTokens::ids).toList(), positions);
                Tensor mask = upload(encoding, encoded.stream().map(PromptTokens::mask).toList(), positions);
                state = model.startDecoding(workspace, model.encode(encoding, ids, mask), mask, promptOfRow);
            }
            listener.onEncoded();
            for (int step = 0; step < steps; step++) {
                if (cancellation.isCancelled()) {
                    throw new GenerationCancelledException(step, steps, prefixes(tokens, step));
                }
                Tensor logits = model.decodeStep(state, previous);                // (rows, V + 1)
                int[] next = backend.sampleGuided(logits.narrow(0, images),
                        guided ? logits.narrow(images, images) : null, request.conditionScale(), vocabLimit(),
                        request.sampling(), streams);
                for (int image = 0; image < images; image++) {
                    tokens[image][step] = next[image];
                    previous[image] = next[image];
                    if (guided) {
                        previous[images + image] = next[image];   // both streams get the same previous token
                    }
                }
                listener.onStep(step, steps, prefixes(tokens, step + 1));
            }
        }
        return new GenerationResult(request.imagesPerPrompt(), tokens);
    }

    private void checkPrompt(int index, PromptTokens prompt) {
        DalleBartConfig config = model.config();
        int[] ids = prompt.ids();
        if (ids.length != config.maxTextLength()) {
            throw new JdalleException("prompt " + index + " has " + ids.length + " token ids; the model takes exactly "
                    + config.maxTextLength() + " (pad with id " + PromptTokens.PAD + ")");
        }
        for (int position = 0; position < ids.length; position++) {
            if (ids[position] < 0 || ids[position] >= config.encoderVocabSize()) {
                throw new JdalleException("prompt " + index + ": token id " + ids[position] + " at position " + position
                        + " is outside the text vocabulary [0, " + config.encoderVocabSize() + ")");
            }
        }
    }

    /** The first {@code length} values of each row, as a (rows, length) I32 tensor on the model's backend. */
    private Tensor upload(Workspace workspace, List<int[]> rows, int length) {
        int[] flat = rows.stream().flatMapToInt(row -> IntStream.of(row).limit(length)).toArray();
        Tensor onBackend = workspace.allocate(DType.I32, rows.size(), length);
        model.backend().upload(Tensor.ofInts(flat, rows.size(), length), onBackend);
        return onBackend;
    }

    private static int[][] prefixes(int[][] tokens, int length) {
        return Arrays.stream(tokens).map(row -> Arrays.copyOf(row, length)).toArray(int[][]::new);
    }
}
