package io.github.jdalle.dallebart;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.testing.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DalleBartConfig}: the released configurations (spec §1.1) and parsing of config.json. */
class DalleBartConfigTest {
    @Test
    void goldenConfigJsonGivesItsSizesAndIds() throws IOException {
        String json = Files.readString(Golden.file("dallebart/model/config.json"));
        DalleBartConfig config = DalleBartConfig.fromJson(json, "golden");
        assertEquals(new DalleBartConfig(64, 2, 2, 4, 4, 90, 90, 3261, 512, 64, 256, 512, true), config);
    }

    @Test
    void miniAndMegaAsReleased() {
        DalleBartConfig mini = DalleBartConfig.mini1();
        assertEquals(2730, mini.encoderFfnDim());
        assertEquals(16385, mini.decoderVocabSize());
        assertEquals(16384, mini.decoderStartTokenId());
        DalleBartConfig mega = DalleBartConfig.mega1();
        assertEquals(2048, mega.dModel());
        assertEquals(24, mega.decoderLayers());
        assertEquals(50272, mega.encoderVocabSize());
        assertEquals(16416, mega.decoderVocabSize());
        assertEquals(16384, mega.decoderStartTokenId(), "mega's start token is 16384, not its vocabulary size");
    }

    @Test
    void parameterShapesAreThoseOfTheGoldenCheckpoint() throws IOException {
        DalleBartConfig config = DalleBartConfig.fromJson(Files.readString(Golden.file("dallebart/model/config.json")),
                "golden");
        Map<String, List<Integer>> expected = new TreeMap<>();
        try (WeightSource checkpoint = FlaxMsgpack.open(Golden.file("dallebart/model"))) {
            for (String path : checkpoint.paths()) {
                expected.put(path, Arrays.stream(checkpoint.tensor(path).shape()).boxed().toList());
            }
        }
        Map<String, List<Integer>> shapes = new TreeMap<>();
        config.parameterShapes().forEach((path, shape) -> shapes.put(path, Arrays.stream(shape).boxed().toList()));
        assertEquals(expected, shapes);
    }

    @Test
    void releasedParameterCounts() {
        // spec §2.3
        assertEquals(437_833_712L, parameters(DalleBartConfig.mini1()));
        assertEquals(2_587_521_024L, parameters(DalleBartConfig.mega1()));
    }

    @Test
    void toJsonReadsBackAsTheSameConfig() {
        for (DalleBartConfig config : new DalleBartConfig[] {DalleBartConfig.mini1(), DalleBartConfig.mega1()}) {
            assertEquals(config, DalleBartConfig.fromJson(config.toJson(), "test"));
        }
    }

    @Test
    void aStepReadsTheDecoderLayersButNotTheCrossAttentionKeysAndValues() {
        DalleBartConfig mega = DalleBartConfig.mega1();
        long crossKeysAndValues = 2L * mega.decoderLayers() * mega.dModel() * mega.dModel();
        long decoderLayers = mega.parameterShapes().entrySet().stream()
                .filter(e -> e.getKey().startsWith("model/decoder/layers/") && e.getKey().endsWith("kernel"))
                .mapToLong(e -> Tensor.elementCount(e.getValue())).sum();
        long lmHead = Tensor.elementCount(mega.parameterShapes().get("lm_head/kernel"));
        assertEquals(decoderLayers - crossKeysAndValues + lmHead, mega.stepWeightCount());
    }

    @Test
    void absentKeysTakeUpstreamDefaults() {
        DalleBartConfig config = DalleBartConfig.fromJson("{\"encoder_ffn_dim\": 2730, \"decoder_ffn_dim\": 2730,"
                + " \"normalize_text\": true}", "test");
        assertEquals(DalleBartConfig.mini1(), config);
    }

    @Test
    void unsupportedVariantsAndBadValuesNameTheKey() {
        assertTrue(assertThrows(JdalleException.class,
                () -> DalleBartConfig.fromJson("{\"ln_positions\": \"swinv2\"}", "x.json")).getMessage()
                .contains("x.json: config.json: ln_positions = \"swinv2\" is not supported"));
        assertTrue(assertThrows(JdalleException.class,
                () -> DalleBartConfig.fromJson("{\"use_bias\": true}", "x")).getMessage().contains("use_bias"));
        assertTrue(assertThrows(JdalleException.class,
                () -> DalleBartConfig.fromJson("{\"d_model\": \"wide\"}", "x")).getMessage()
                .contains("d_model = \"wide\" is not an integer"));
        assertTrue(assertThrows(JdalleException.class,
                () -> DalleBartConfig.fromJson("{\"d_model\": 100}", "x")).getMessage()
                .contains("not divisible by encoder_attention_heads 16"));
        assertTrue(assertThrows(JdalleException.class,
                () -> DalleBartConfig.fromJson("{\"decoder_start_token_id\": 20000}", "x")).getMessage()
                .contains("decoder_start_token_id 20000"));
        assertTrue(assertThrows(JdalleException.class, () -> DalleBartConfig.fromJson("[1", "x")).getMessage()
                .contains("x: config.json is not valid JSON"));
    }

    private static long parameters(DalleBartConfig config) {
        return config.parameterShapes().values().stream().mapToLong(Tensor::elementCount).sum();
    }
}
