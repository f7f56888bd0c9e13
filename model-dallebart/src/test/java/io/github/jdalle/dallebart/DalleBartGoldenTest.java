package io.github.jdalle.dallebart;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.SamplingSettings;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.testing.TestBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * DalleBart against the golden outputs of kuprel/min-dalle on the small random checkpoint
 * ({@code testdata/golden/dallebart}, tolerances from its manifest): encoder states, teacher-forced logits
 * through the cached decoder, and greedy super-conditioned generation.
 */
@ExtendWith(TestBackends.class)
class DalleBartGoldenTest {
    /** manifest.json tolerances.encoder_states and tf_logits (and greedy_step_logits): atol = rtol = 1e-4. */
    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-4;

    private static WeightSource source;
    private static Backend backend;
    private static DalleBart model;

    @BeforeAll
    static void load() {
        source = FlaxMsgpack.open(Golden.file("dallebart/model"));
        backend = TestBackends.create();
        model = DalleBart.load(source, backend);
    }

    @AfterAll
    static void close() {
        backend.close();
        source.close();
    }

    @Test
    void configComesFromTheCheckpoint() {
        DalleBartConfig config = model.config();
        assertEquals(64, config.dModel());
        assertEquals(512, config.imageVocabSize());
        assertEquals(513, config.decoderVocabSize());
        assertEquals(512, config.decoderStartTokenId());
        assertEquals(3261, config.encoderVocabSize());
        assertEquals(90, config.decoderFfnDim());
        assertEquals(512, new DalleBartGenerator(model).vocabLimit());
    }

    @Test
    void unconditionalInputIsTheGoldenSecondRow() {
        int[] ids = Golden.npy("dallebart/cases/avocado/input_ids.npy").ints();
        int[] mask = Golden.npy("dallebart/cases/avocado/attention_mask.npy").ints();
        PromptTokens unconditional = PromptTokens.unconditional(64);
        assertArrayEquals(Arrays.copyOfRange(ids, 64, 128), unconditional.ids());
        assertArrayEquals(Arrays.copyOfRange(mask, 64, 128), unconditional.mask());
    }

    @ParameterizedTest
    @ValueSource(strings = {"avocado", "punctuation", "long"})
    void encoderStatesOfCondAndUncondRows(String name) {
        try (Workspace workspace = backend.workspace()) {
            Tensor states = encodeCase(workspace, name);
            float[] expected = Golden.npy(dir(name) + "encoder_states.npy").floats();
            assertClose(expected, backend.toFloatArray(states), ATOL, RTOL, name + " encoder states");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"avocado", "punctuation", "long"})
    void encoderOverTheLeadingPositionsGivesTheRealTokensExactly(String name) {
        int[] mask = Golden.npy(dir(name) + "attention_mask.npy").ints();
        int width = model.config().dModel();
        int positions = Math.max(conditionalPrompt(name).length(), PromptTokens.unconditional(64).length());
        try (Workspace workspace = backend.workspace()) {
            Tensor masks = uploadCase(workspace, name, "attention_mask.npy");
            float[] full = backend.toFloatArray(model.encode(workspace, uploadCase(workspace, name, "input_ids.npy"),
                    masks));
            Tensor leadingIds = uploadCase(workspace, name, "input_ids.npy", positions);
            float[] leading = backend.toFloatArray(model.encode(workspace, leadingIds,
                    uploadCase(workspace, name, "attention_mask.npy", positions)));
            for (int row = 0; row < 2; row++) {
                for (int j = 0; j < positions; j++) {
                    if (mask[row * 64 + j] == 1) {
                        int at = (row * 64 + j) * width;
                        int leadingAt = (row * positions + j) * width;
                        assertArrayEquals(Arrays.copyOfRange(full, at, at + width),
                                Arrays.copyOfRange(leading, leadingAt, leadingAt + width),
                                name + " row " + row + " position " + j);
                    }
                }
            }
            Tensor shorterMask = uploadCase(workspace, name, "attention_mask.npy", positions - 1);
            assertThrows(JdalleException.class, () -> model.encode(workspace, leadingIds, shorterMask));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"avocado", "punctuation", "long"})
    void teacherForcedLogitsThroughTheCache(String name) {
        int[] decoderInputs = Golden.npy(dir(name) + "decoder_input_ids.npy").ints();
        float[] expected = Golden.npy(dir(name) + "tf_logits.npy").floats();    // (2, 256, 513)
        int vocab = model.config().decoderVocabSize();
        int steps = decoderInputs.length;
        try (Workspace workspace = backend.workspace()) {
            DecoderState state = model.startDecoding(workspace, encodeCase(workspace, name), uploadCase(workspace, name,
                    "attention_mask.npy"), new int[] {0, 1});
            for (int t = 0; t < steps; t++) {
                float[] logits = backend.toFloatArray(model.decodeStep(state, new int[] {decoderInputs[t], decoderInputs[t]}));
                for (int row = 0; row < 2; row++) {
                    int at = (row * steps + t) * vocab;
                    assertClose(Arrays.copyOfRange(expected, at, at + vocab),
                            Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab), ATOL, RTOL,
                            name + " logits of row " + row + " at step " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"avocado", "punctuation", "long"})
    void greedyGuidedGenerationGivesTheGoldenTokens(String name) {
        SamplingRequest request = new SamplingRequest(List.of(conditionalPrompt(name)), 1, 0,
                10f, SamplingSettings.greedy());
        int[] tokens = new DalleBartGenerator(model).generate(request).tokens(0);
        assertArrayEquals(Golden.npy(dir(name) + "greedy_tokens.npy").ints(), tokens, name + " greedy tokens");
    }

    @ParameterizedTest
    @ValueSource(strings = {"avocado", "punctuation", "long"})
    void promptTextGivesTheGoldenIdsAndGreedyTokens(String name) throws IOException {
        String prompt = StreamSupport.stream(JsonMapper.shared().readTree(Golden.file("dallebart/manifest.json")
                        .toFile()).get("cases").spliterator(), false)
                .filter(c -> c.get("name").stringValue().equals(name))
                .findFirst().orElseThrow().get("inputs").get("prompt").stringValue();
        DalleBartGenerator generator = DalleBartGenerator.load(source, backend);
        SamplingRequest request = generator.request(List.of(prompt), 1, 0).withSampling(SamplingSettings.greedy());
        assertEquals(conditionalPrompt(name), request.prompts().getFirst(), name + " ids");
        assertArrayEquals(Golden.npy(dir(name) + "greedy_tokens.npy").ints(), generator.generate(request).tokens(0),
                name + " greedy tokens from the prompt text");
    }

    /** Row 0 of the case's input ids and mask: the tokenized prompt. */
    static PromptTokens conditionalPrompt(String name) {
        int[] ids = Golden.npy(dir(name) + "input_ids.npy").ints();
        int[] mask = Golden.npy(dir(name) + "attention_mask.npy").ints();
        return new PromptTokens(Arrays.copyOf(ids, 64), Arrays.copyOf(mask, 64));
    }

    private static Tensor encodeCase(Workspace workspace, String name) {
        return model.encode(workspace, uploadCase(workspace, name, "input_ids.npy"),
                uploadCase(workspace, name, "attention_mask.npy"));
    }

    private static Tensor uploadCase(Workspace workspace, String name, String file) {
        return uploadCase(workspace, name, file, 64);
    }

    /** The first {@code positions} columns of a (2, 64) I32 case file, on the backend. */
    private static Tensor uploadCase(Workspace workspace, String name, String file, int positions) {
        int[] values = Golden.npy(dir(name) + file).ints();
        int[] leading = new int[2 * positions];
        for (int row = 0; row < 2; row++) {
            System.arraycopy(values, row * 64, leading, row * positions, positions);
        }
        Tensor onBackend = workspace.allocate(DType.I32, 2, positions);
        backend.upload(Tensor.ofInts(leading, 2, positions), onBackend);
        return onBackend;
    }

    private static String dir(String name) {
        return "dallebart/cases/" + name + "/";
    }
}
