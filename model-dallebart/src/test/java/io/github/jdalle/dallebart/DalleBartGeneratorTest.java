package io.github.jdalle.dallebart;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.Sampler;
import io.github.jdalle.core.sampling.SamplingSettings;
import io.github.jdalle.core.testing.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seeded sampling, progress, cancellation and bad input of {@link DalleBartGenerator} on the golden checkpoint. */
class DalleBartGeneratorTest {
    private static final long SEED = 1234;

    private static WeightSource source;
    private static Backend twoThreads;
    private static DalleBartGenerator generator;
    private static PromptTokens avocado;

    @BeforeAll
    static void load() {
        source = FlaxMsgpack.open(Golden.file("dallebart/model"));
        twoThreads = Backends.cpu(2);
        generator = new DalleBartGenerator(DalleBart.load(source, twoThreads));
        avocado = DalleBartGoldenTest.conditionalPrompt("avocado");
    }

    @AfterAll
    static void close() {
        twoThreads.close();
        source.close();
    }

    /** Top-k 50 sampling at the default scale 10. */
    private static SamplingRequest sampled(int imagesPerPrompt) {
        return SamplingRequest.of(avocado, imagesPerPrompt, SEED);
    }

    @Test
    void sameSeedGivesTheSameTokensWhateverTheBatchSize() {
        GenerationResult one = generator.generate(sampled(1));
        GenerationResult three = generator.generate(sampled(3));
        GenerationResult four = generator.generate(sampled(4));
        assertArrayEquals(one.tokens(0), three.tokens(0));
        assertArrayEquals(one.tokens(0), four.tokens(0));
        for (int image = 0; image < 3; image++) {
            assertArrayEquals(three.tokens(image), four.tokens(image), "image " + image);
        }
        assertFalse(Arrays.equals(four.tokens(0), four.tokens(1)), "images of one seed must differ");
        int[] tokens = four.tokens(3);
        assertTrue(Arrays.stream(tokens).allMatch(t -> t >= 0 && t < generator.vocabLimit()),
                "only VQGAN codes below " + generator.vocabLimit() + ": " + Arrays.toString(tokens));
    }

    @Test
    void sameSeedGivesTheSameTokensWhateverTheThreadCount() {
        try (Backend oneThread = Backends.cpu(1)) {
            GenerationResult single = new DalleBartGenerator(DalleBart.load(source, oneThread)).generate(sampled(3));
            GenerationResult multi = generator.generate(sampled(3));
            for (int image = 0; image < 3; image++) {
                assertArrayEquals(single.tokens(image), multi.tokens(image), "image " + image);
            }
        }
    }

    @Test
    void imagesAreNumberedPromptByPrompt() {
        PromptTokens punctuation = DalleBartGoldenTest.conditionalPrompt("punctuation");
        SamplingRequest both = new SamplingRequest(List.of(avocado, punctuation), 2, SEED,
                SamplingRequest.DEFAULT_CONDITION_SCALE, SamplingSettings.DEFAULT);
        GenerationResult result = generator.generate(both);
        assertEquals(4, result.imageCount());
        assertArrayEquals(generator.generate(sampled(2)).tokens(1), result.tokens(0, 1));
        assertArrayEquals(result.tokens(2), result.tokens(1, 0));
        assertFalse(Arrays.equals(result.tokens(0, 0), result.tokens(1, 0)), "different prompts must differ");
    }

    @Test
    void conditionScaleOneSamplesTheConditionalLogitsAlone() {
        SamplingRequest unguided = SamplingRequest.of(avocado, 1, SEED).withConditionScale(1f)
                .withSampling(SamplingSettings.greedy());
        int[] tokens = generator.generate(unguided).tokens(0);
        DalleBart model = DalleBart.load(source, twoThreads);
        try (Workspace workspace = twoThreads.workspace()) {
            Tensor ids = workspace.allocate(DType.I32, 1, 64);
            twoThreads.upload(Tensor.ofInts(avocado.ids(), 1, 64), ids);
            Tensor mask = workspace.allocate(DType.I32, 1, 64);
            twoThreads.upload(Tensor.ofInts(avocado.mask(), 1, 64), mask);
            DecoderState state = model.startDecoding(workspace, model.encode(workspace, ids, mask), mask, new int[1]);
            int previous = model.config().decoderStartTokenId();
            for (int step = 0; step < tokens.length; step++) {
                float[] logits = twoThreads.toFloatArray(model.decodeStep(state, new int[] {previous}));
                assertEquals(Sampler.argmax(Arrays.copyOf(logits, generator.vocabLimit())), tokens[step], "step " + step);
                previous = tokens[step];
            }
        }
    }

    @Test
    void progressReportsEveryStepWithTheTokensSoFar() {
        List<int[]> reported = new ArrayList<>();
        GenerationResult result = generator.generate(sampled(2), (step, total, tokens) -> {
            assertEquals(reported.size(), step);
            assertEquals(256, total);
            assertEquals(2, tokens.length);
            reported.add(tokens[1]);
        }, new CancellationToken());
        assertEquals(256, reported.size());
        int[] last = result.tokens(1);
        for (int step = 0; step < 256; step++) {
            assertArrayEquals(Arrays.copyOf(last, step + 1), reported.get(step), "tokens after step " + step);
        }
    }

    @Test
    void cancellationStopsBeforeTheNextStepAndKeepsThePartialTokens() {
        CancellationToken cancellation = new CancellationToken();
        GenerationCancelledException stopped = assertThrows(GenerationCancelledException.class,
                () -> generator.generate(sampled(2), (step, total, tokens) -> {
                    if (step == 9) {
                        cancellation.cancel();
                    }
                }, cancellation));
        assertEquals(10, stopped.completedSteps());
        assertTrue(stopped.getMessage().contains("cancelled after 10 of 256 steps"), stopped.getMessage());
        int[] full = generator.generate(sampled(2)).tokens(1);
        assertArrayEquals(Arrays.copyOf(full, 10), stopped.partialTokens()[1]);
    }

    @Test
    void cancelledBeforeStartingGivesNoTokens() {
        CancellationToken cancellation = new CancellationToken();
        cancellation.cancel();
        GenerationCancelledException stopped = assertThrows(GenerationCancelledException.class,
                () -> generator.generate(sampled(1), GenerationListener.NONE, cancellation));
        assertEquals(0, stopped.completedSteps());
        assertEquals(0, stopped.partialTokens()[0].length);
    }

    @Test
    void tokenIdOutsideTheTextVocabularyIsNamedWithItsPosition() {
        int[] ids = avocado.ids();
        ids[5] = 3261;
        PromptTokens bad = new PromptTokens(ids, avocado.mask());
        JdalleException error = assertThrows(JdalleException.class,
                () -> generator.generate(SamplingRequest.of(bad, 1, SEED)));
        assertEquals("prompt 0: token id 3261 at position 5 is outside the text vocabulary [0, 3261)",
                error.getMessage());
        ids[5] = -7;
        PromptTokens negative = new PromptTokens(ids, avocado.mask());
        assertTrue(assertThrows(JdalleException.class, () -> generator.generate(SamplingRequest.of(negative, 1, SEED)))
                .getMessage().contains("token id -7 at position 5"));
    }

    @Test
    void wrongLengthsAreRejected() {
        JdalleException mask = assertThrows(JdalleException.class,
                () -> new PromptTokens(avocado.ids(), Arrays.copyOf(avocado.mask(), 63)));
        assertEquals("prompt has 64 token ids but a mask of length 63", mask.getMessage());
        PromptTokens short63 = new PromptTokens(Arrays.copyOf(avocado.ids(), 63), Arrays.copyOf(avocado.mask(), 63));
        JdalleException ids = assertThrows(JdalleException.class,
                () -> generator.generate(SamplingRequest.of(short63, 1, SEED)));
        assertTrue(ids.getMessage().contains("prompt 0 has 63 token ids; the model takes exactly 64"), ids.getMessage());
    }

    @Test
    void masksMustBeZeroOrOneWithAtLeastOneRealToken() {
        int[] mask = avocado.mask();
        mask[3] = 2;
        assertTrue(assertThrows(JdalleException.class, () -> new PromptTokens(avocado.ids(), mask))
                .getMessage().contains("mask value 2 at position 3"));
        assertThrows(JdalleException.class, () -> new PromptTokens(avocado.ids(), new int[64]));
    }

    @Test
    void promptTextOfAnySizeOrScriptGeneratesCodes() {
        DalleBartGenerator withText = DalleBartGenerator.load(source, twoThreads);
        List<String> prompts = List.of("", "a cat ".repeat(1700), "русский кот", "日本語のテキスト 🐱", "<person> and <person>");
        SamplingRequest request = withText.request(prompts, 1, SEED);
        for (PromptTokens prompt : request.prompts()) {
            assertEquals(64, prompt.ids().length);
            assertEquals(PromptTokens.BOS, prompt.ids()[0]);
        }
        assertEquals(64, Arrays.stream(request.prompts().get(1).mask()).sum(), "10 000 characters fill all 64 ids");
        GenerationResult result = withText.generate(request.withSampling(SamplingSettings.greedy()));
        for (int image = 0; image < prompts.size(); image++) {
            assertTrue(Arrays.stream(result.tokens(image)).allMatch(t -> t >= 0 && t < withText.vocabLimit()));
        }
    }

    @Test
    void promptTextNeedsATokenizer() {
        assertTrue(assertThrows(JdalleException.class, () -> generator.request(List.of("a cat"), 1, SEED))
                .getMessage().contains("without a tokenizer"));
    }

    @Test
    void zeroImagesOrNoPromptIsAnError() {
        assertEquals("images per prompt must be at least 1, got 0",
                assertThrows(JdalleException.class, () -> SamplingRequest.of(avocado, 0, SEED)).getMessage());
        assertThrows(JdalleException.class, () -> new SamplingRequest(List.of(), 1, SEED, 10f,
                SamplingSettings.DEFAULT));
        assertThrows(JdalleException.class, () -> SamplingRequest.of(avocado, 1, SEED).withConditionScale(Float.NaN));
    }
}
