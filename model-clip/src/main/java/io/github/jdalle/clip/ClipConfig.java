package io.github.jdalle.clip;

import io.github.jdalle.core.JdalleException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The sizes of a CLIP checkpoint, read from its Hugging Face {@code config.json}. Keys the file leaves out
 * take transformers' {@code CLIPConfig} defaults, which are ViT-B/32's.
 *
 * @param text          the text tower
 * @param vision        the vision tower
 * @param projectionDim width of the shared embedding space both towers project into
 */
public record ClipConfig(Text text, Vision vision, int projectionDim) {

    /**
     * The text tower's sizes.
     *
     * @param vocabSize        rows of the token embedding
     * @param hiddenSize       model width
     * @param layers           encoder layers
     * @param heads            attention heads
     * @param intermediateSize MLP width
     * @param maxPositions     rows of the position embedding (the context length, 77)
     * @param layerNormEps     LayerNorm epsilon
     * @param eosTokenId       {@code eos_token_id} of the config; 2 (the legacy hub value) means pool at the
     *                         largest id, anything else pools at the first occurrence of that id
     */
    public record Text(int vocabSize, int hiddenSize, int layers, int heads, int intermediateSize, int maxPositions,
                       float layerNormEps, int eosTokenId) {
        public Text {
            checkHeads("text", hiddenSize, heads);
        }
    }

    /**
     * The vision tower's sizes.
     *
     * @param imageSize        edge of the square input in pixels
     * @param patchSize        edge of one patch; the image holds {@code (imageSize/patchSize)²} of them
     * @param hiddenSize       model width
     * @param layers           encoder layers
     * @param heads            attention heads
     * @param intermediateSize MLP width
     * @param layerNormEps     LayerNorm epsilon
     */
    public record Vision(int imageSize, int patchSize, int hiddenSize, int layers, int heads, int intermediateSize,
                         float layerNormEps) {
        public Vision {
            checkHeads("vision", hiddenSize, heads);
            if (patchSize <= 0 || imageSize % patchSize != 0) {
                throw new JdalleException("CLIP vision image_size " + imageSize + " is not a multiple of patch_size "
                        + patchSize);
            }
        }

        /** Patches along one edge. */
        public int gridSize() {
            return imageSize / patchSize;
        }

        /** Tokens of one image: the class token plus one per patch. */
        public int tokenCount() {
            return 1 + gridSize() * gridSize();
        }
    }

    /** OpenAI's ViT-B/32 as the hub checkpoint {@code openai/clip-vit-base-patch32} configures it. */
    public static ClipConfig vitBasePatch32() {
        return new ClipConfig(
                new Text(49408, 512, 12, 8, 2048, 77, 1e-5f, 2),
                new Vision(224, 32, 768, 12, 12, 3072, 1e-5f),
                512);
    }

    /** Parses a Hugging Face CLIP {@code config.json}; {@code source} names the file in error messages. */
    public static ClipConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JacksonException e) {
            throw new JdalleException(source + ": config.json is not valid JSON: " + e.getOriginalMessage());
        }
        ClipConfig defaults = vitBasePatch32();
        JsonNode text = root.path("text_config");
        JsonNode vision = root.path("vision_config");
        requireQuickGelu(text, source + " text_config");
        requireQuickGelu(vision, source + " vision_config");
        Text t = defaults.text();
        Vision v = defaults.vision();
        return new ClipConfig(
                new Text(
                        intField(text, "vocab_size", t.vocabSize(), source),
                        intField(text, "hidden_size", t.hiddenSize(), source),
                        intField(text, "num_hidden_layers", t.layers(), source),
                        intField(text, "num_attention_heads", t.heads(), source),
                        intField(text, "intermediate_size", t.intermediateSize(), source),
                        intField(text, "max_position_embeddings", t.maxPositions(), source),
                        (float) doubleField(text, "layer_norm_eps", t.layerNormEps(), source),
                        // transformers' current default; the hub file sets the legacy 2 explicitly.
                        intField(text, "eos_token_id", 49407, source)),
                new Vision(
                        intField(vision, "image_size", v.imageSize(), source),
                        intField(vision, "patch_size", v.patchSize(), source),
                        intField(vision, "hidden_size", v.hiddenSize(), source),
                        intField(vision, "num_hidden_layers", v.layers(), source),
                        intField(vision, "num_attention_heads", v.heads(), source),
                        intField(vision, "intermediate_size", v.intermediateSize(), source),
                        (float) doubleField(vision, "layer_norm_eps", v.layerNormEps(), source)),
                intField(root, "projection_dim", defaults.projectionDim(), source));
    }

    private static void checkHeads(String tower, int hiddenSize, int heads) {
        if (heads <= 0 || hiddenSize % heads != 0) {
            throw new JdalleException("CLIP " + tower + " hidden_size " + hiddenSize + " is not divisible by "
                    + heads + " attention heads");
        }
    }

    private static void requireQuickGelu(JsonNode tower, String where) {
        String activation = tower.path("hidden_act").asString("quick_gelu");
        if (!activation.equals("quick_gelu")) {
            throw new JdalleException(where + ": hidden_act '" + activation + "' is not supported (only quick_gelu)");
        }
    }

    private static int intField(JsonNode node, String name, int fallback, String source) {
        JsonNode value = node.path(name);
        if (value.isMissingNode()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new JdalleException(source + ": " + name + " must be an integer, got " + value);
        }
        return value.asInt();
    }

    private static double doubleField(JsonNode node, String name, double fallback, String source) {
        JsonNode value = node.path(name);
        if (value.isMissingNode()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw new JdalleException(source + ": " + name + " must be a number, got " + value);
        }
        return value.asDouble();
    }
}
