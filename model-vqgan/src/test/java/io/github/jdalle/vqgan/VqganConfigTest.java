package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.testing.RandomWeights;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VqganConfigTest {
    @Test
    void goldenConfigMatchesTheManifest() {
        JsonNode expected = GoldenVqgan.manifest().get("config");
        try (WeightSource checkpoint = GoldenVqgan.checkpoint()) {
            VqganConfig config = VqganConfig.of(checkpoint);
            assertEquals(expected.get("ch").asInt(), config.baseChannels());
            assertEquals(integers(expected.get("ch_mult")), config.channelMultipliers());
            assertEquals(expected.get("num_res_blocks").asInt(), config.resBlocks());
            assertEquals(integers(expected.get("attn_resolutions")), config.attentionResolutions());
            assertEquals(expected.get("z_channels").asInt(), config.latentChannels());
            assertEquals(expected.get("embed_dim").asInt(), config.codeWidth());
            assertEquals(expected.get("n_embed").asInt(), config.codebookSize());
            assertEquals(expected.get("resolution").asInt(), config.resolution());
            assertEquals(expected.get("latent_size").asInt(), config.latentSize());
        }
    }

    @Test
    void parameterShapesAreThoseOfTheGoldenCheckpoint() {
        JsonNode expected = GoldenVqgan.manifest().get("param_shapes");
        Map<String, List<Integer>> expectedShapes = new TreeMap<>();
        expected.propertyStream().forEach(entry -> expectedShapes.put(entry.getKey(), integers(entry.getValue())));
        Map<String, List<Integer>> shapes = new TreeMap<>();
        try (WeightSource checkpoint = GoldenVqgan.checkpoint()) {
            VqganConfig.of(checkpoint).parameterShapes().forEach((path, shape) ->
                    shapes.put(path, Arrays.stream(shape).boxed().toList()));
        }
        assertEquals(expectedShapes, shapes);
    }

    @Test
    void imagenetSizesAgreeWithTheSpec() {
        // spec §6: 343 tensors, 76,073,859 parameters; §12: about 126.4 GMAC per 16×16 decode
        VqganConfig config = VqganConfig.imagenetF16x16384();
        Map<String, int[]> shapes = config.parameterShapes();
        long parameters = shapes.values().stream().mapToLong(Tensor::elementCount).sum();
        assertEquals(343, shapes.size());
        assertEquals(76_073_859L, parameters);
        assertEquals(16, config.latentSize());
        assertEquals(126.4e9, config.decoderMultiplyAdds(16, 16), 0.05e9);
        assertEquals(256L * 256 * 128, config.largestActivation(16, 16));  // §12: 256×256×128 at the top level
    }

    @Test
    void imagenetModelLoadsFromWeightsOfTheListedShapes() {
        // parameterShapes() and the loaders agree on every path and shape of the real model
        VqganConfig config = VqganConfig.imagenetF16x16384();
        try (Backend backend = Backends.cpu(1);
             RandomWeights weights = RandomWeights.of(config.parameterShapes(), null, 1)) {
            assertEquals(config, new VqganDecoder(config, Weights.of(weights, backend)).config());
            assertEquals(config, new VqganEncoder(config, Weights.of(weights, backend)).config());
        }
    }

    @Test
    void unsupportedVariantsAreNamed() {
        var e = assertThrows(JdalleException.class, () -> VqganConfig.fromJson("{\"double_z\": true}", "test"));
        assertTrue(e.getMessage().contains("double_z"), e.getMessage());
        assertThrows(JdalleException.class, () -> VqganConfig.fromJson("{\"ch_mult\": [1, 2], \"num_resolutions\": 3}", "test"));
        assertThrows(JdalleException.class, () -> VqganConfig.fromJson("{\"ch\": \"wide\"}", "test"));
        assertThrows(JdalleException.class, () -> VqganConfig.fromJson("[1]", "test"));
    }

    private static List<Integer> integers(JsonNode array) {
        List<Integer> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asInt()));
        return values;
    }
}
