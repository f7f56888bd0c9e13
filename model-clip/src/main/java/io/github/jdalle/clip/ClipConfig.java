package io.github.jdalle.clip;

import io.github.jdalle.core.ConfigJson;
import io.github.jdalle.core.JdalleException;

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
        ConfigJson root = ConfigJson.parse(json, source);
        ConfigJson text = root.object("text_config");
        ConfigJson vision = root.object("vision_config");
        text.requireSupported("hidden_act", "quick_gelu", "openai/clip-vit-base-patch32");
        vision.requireSupported("hidden_act", "quick_gelu", "openai/clip-vit-base-patch32");
        ClipConfig defaults = vitBasePatch32();
        Text t = defaults.text();
        Vision v = defaults.vision();
        return new ClipConfig(
                new Text(
                        text.integer("vocab_size", t.vocabSize()),
                        text.integer("hidden_size", t.hiddenSize()),
                        text.integer("num_hidden_layers", t.layers()),
                        text.integer("num_attention_heads", t.heads()),
                        text.integer("intermediate_size", t.intermediateSize()),
                        text.integer("max_position_embeddings", t.maxPositions()),
                        (float) text.number("layer_norm_eps", t.layerNormEps()),
                        // transformers' current default; the hub file sets the legacy 2 explicitly.
                        text.integer("eos_token_id", 49407)),
                new Vision(
                        vision.integer("image_size", v.imageSize()),
                        vision.integer("patch_size", v.patchSize()),
                        vision.integer("hidden_size", v.hiddenSize()),
                        vision.integer("num_hidden_layers", v.layers()),
                        vision.integer("num_attention_heads", v.heads()),
                        vision.integer("intermediate_size", v.intermediateSize()),
                        (float) vision.number("layer_norm_eps", v.layerNormEps())),
                root.integer("projection_dim", defaults.projectionDim()));
    }

    private static void checkHeads(String tower, int hiddenSize, int heads) {
        if (heads <= 0 || hiddenSize % heads != 0) {
            throw new JdalleException("CLIP " + tower + " hidden_size " + hiddenSize + " is not divisible by "
                    + heads + " attention heads");
        }
    }
}
