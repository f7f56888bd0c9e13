package io.github.jdalle.dallebart;

import io.github.jdalle.core.ConfigJson;
import io.github.jdalle.core.JdalleException;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The sizes and ids of a DalleBart checkpoint, as its {@code config.json} gives them. Keys that a file leaves
 * out take the defaults of upstream {@code DalleBartConfig} (dalle-mini {@code configuration.py}); the
 * architecture variants that mini-1 and mega-1 do not use (other layer-norm placements, biases, cosine
 * attention, ...) are rejected by {@link #fromJson} with the offending key.
 *
 * @param dModel              width D of every hidden state
 * @param encoderLayers       encoder layer count
 * @param decoderLayers       decoder layer count
 * @param encoderHeads        encoder attention heads (D / heads = 64 in the released models)
 * @param decoderHeads        decoder attention heads
 * @param encoderFfnDim       GLU hidden width F of the encoder
 * @param decoderFfnDim       GLU hidden width F of the decoder
 * @param encoderVocabSize    text embedding rows
 * @param imageVocabSize      image codes the decoder knows; its embedding and lm_head have one more row
 * @param maxTextLength       text positions (64): every prompt is padded to this length
 * @param imageLength         image tokens generated per picture (256 = 16 × 16)
 * @param decoderStartTokenId the token fed at position 0
 * @param normalizeText       whether prompts go through the text normalizer before tokenization
 */
public record DalleBartConfig(int dModel, int encoderLayers, int decoderLayers, int encoderHeads, int decoderHeads,
                              int encoderFfnDim, int decoderFfnDim, int encoderVocabSize, int imageVocabSize,
                              int maxTextLength, int imageLength, int decoderStartTokenId, boolean normalizeText) {

    /** Every layer norm of the model is built with this epsilon (not Flax's default 1e-6). */
    public static final float LAYER_NORM_EPSILON = 1e-5f;

    /** Variant switches and the only value this implementation supports, with upstream's default first. */
    private static final Map<String, Object> SUPPORTED = Map.ofEntries(
            Map.entry("ln_type", "layernorm"),
            Map.entry("ln_positions", "normformer"),
            Map.entry("activation_function", "gelu"),
            Map.entry("use_glu", true),
            Map.entry("use_bias", false),
            Map.entry("use_head_scale", false),
            Map.entry("use_cosine_attention", false),
            Map.entry("use_alibi", false),
            Map.entry("use_deepnet_scaling", false),
            Map.entry("use_subln_init", false),
            Map.entry("use_swin_position_embeddings", false),
            Map.entry("use_absolute_position_embeddings", true),
            Map.entry("use_final_ln_encoder", true),
            Map.entry("use_final_ln_decoder", true),
            Map.entry("scale_embedding", false),
            Map.entry("tie_word_embeddings", false),
            Map.entry("sinkhorn_iters", 1));

    public DalleBartConfig {
        requirePositive("d_model", dModel);
        requirePositive("encoder_layers", encoderLayers);
        requirePositive("decoder_layers", decoderLayers);
        requirePositive("encoder_ffn_dim", encoderFfnDim);
        requirePositive("decoder_ffn_dim", decoderFfnDim);
        requirePositive("encoder_vocab_size", encoderVocabSize);
        requirePositive("image_vocab_size", imageVocabSize);
        requirePositive("max_text_length", maxTextLength);
        requirePositive("image_length", imageLength);
        requireHeads("encoder_attention_heads", encoderHeads, dModel);
        requireHeads("decoder_attention_heads", decoderHeads, dModel);
        if (decoderStartTokenId < 0 || decoderStartTokenId > imageVocabSize) {
            throw new JdalleException("config.json: decoder_start_token_id " + decoderStartTokenId
                    + " is not a row of the image embedding [0, " + (imageVocabSize + 1) + ")");
        }
    }

    /** DALL·E Mini ({@code dalle-mini/dalle-mini}, wandb {@code mini-1:v0}): 0.44 B parameters. */
    public static DalleBartConfig mini1() {
        return new DalleBartConfig(1024, 12, 12, 16, 16, 2730, 2730, 50264, 16384, 64, 256, 16384, true);
    }

    /**
     * DALL·E Mega ({@code dalle-mini/dalle-mega}, wandb {@code mega-1:v16}): 2.6 B parameters; its image
     * vocabulary is padded to 16415 and its text embedding to 50272 rows, the start token is still 16384.
     */
    public static DalleBartConfig mega1() {
        return new DalleBartConfig(2048, 24, 24, 32, 32, 4096, 4096, 50272, 16415, 64, 256, 16384, true);
    }

    /** Parses a checkpoint's {@code config.json}; {@code origin} names the file in error messages. */
    public static DalleBartConfig fromJson(String json, String origin) {
        ConfigJson config = ConfigJson.parse(json, origin);
        SUPPORTED.forEach((key, supported) -> config.requireSupported(key, supported, "mini-1 and mega-1"));
        int imageVocabSize = config.integer("image_vocab_size", 16384);
        return new DalleBartConfig(
                config.integer("d_model", 1024),
                config.integer("encoder_layers", 12),
                config.integer("decoder_layers", 12),
                config.integer("encoder_attention_heads", 16),
                config.integer("decoder_attention_heads", 16),
                config.integer("encoder_ffn_dim", 4096),
                config.integer("decoder_ffn_dim", 4096),
                config.integer("encoder_vocab_size", 50264),
                imageVocabSize,
                config.integer("max_text_length", 64),
                config.integer("image_length", 256),
                config.integer("decoder_start_token_id", imageVocabSize),
                config.bool("normalize_text", false));
    }

    /** Rows of the image embedding and outputs of lm_head: the codes plus the start token. */
    public int decoderVocabSize() {
        return imageVocabSize + 1;
    }

    /**
     * Every parameter of a checkpoint of this size (spec {@code dallebart.md} §2.2, scanned layout: the layers'
     * leaves carry a leading layer axis) by Flax path, with its shape. Used to build random weights of the
     * released sizes for timings.
     */
    public SortedMap<String, int[]> parameterShapes() {
        SortedMap<String, int[]> shapes = new TreeMap<>();
        shapes.put("lm_head/kernel", new int[] {dModel, decoderVocabSize()});

        String encoder = "model/encoder/";
        embedding(shapes, encoder, encoderVocabSize, maxTextLength);
        String encoderLayer = encoder + "layers/FlaxBartEncoderLayers/";
        attention(shapes, encoderLayer, "FlaxBartAttention_0", "LayerNorm_0", "LayerNorm_1", encoderLayers);
        glu(shapes, encoderLayer, encoderLayers, encoderFfnDim);
        shapes.put(encoder + "final_ln/bias", new int[] {dModel});

        String decoder = "model/decoder/";
        embedding(shapes, decoder, decoderVocabSize(), imageLength);
        String decoderLayer = decoder + "layers/FlaxBartDecoderLayers/";
        attention(shapes, decoderLayer, "FlaxBartAttention_0", "LayerNorm_0", "LayerNorm_1", decoderLayers);
        attention(shapes, decoderLayer, "FlaxBartAttention_1", "LayerNorm_2", "LayerNorm_3", decoderLayers);
        glu(shapes, decoderLayer, decoderLayers, decoderFfnDim);
        shapes.put(decoder + "final_ln/bias", new int[] {dModel});
        return shapes;
    }

    /** The {@code config.json} keys that {@link #fromJson} reads, with this config's values. */
    public String toJson() {
        return "{\"d_model\": " + dModel
                + ", \"encoder_layers\": " + encoderLayers
                + ", \"decoder_layers\": " + decoderLayers
                + ", \"encoder_attention_heads\": " + encoderHeads
                + ", \"decoder_attention_heads\": " + decoderHeads
                + ", \"encoder_ffn_dim\": " + encoderFfnDim
                + ", \"decoder_ffn_dim\": " + decoderFfnDim
                + ", \"encoder_vocab_size\": " + encoderVocabSize
                + ", \"image_vocab_size\": " + imageVocabSize
                + ", \"max_text_length\": " + maxTextLength
                + ", \"image_length\": " + imageLength
                + ", \"decoder_start_token_id\": " + decoderStartTokenId
                + ", \"normalize_text\": " + normalizeText + "}";
    }

    /**
     * Weights one decoder step reads: per layer the self-attention's four projections, the cross-attention's
     * query and output projections (its keys and values are projected once per generation) and the GLU's three
     * kernels, then lm_head; the step's embedding rows are negligible. Their bytes bound a step from below on a
     * machine whose memory bandwidth is the limit.
     */
    public long stepWeightCount() {
        long width = dModel;
        return decoderLayers * (6 * width * width + 3 * width * decoderFfnDim) + width * decoderVocabSize();
    }

    /** Token and position tables and the norm after their sum. */
    private void embedding(Map<String, int[]> shapes, String prefix, int vocab, int positions) {
        shapes.put(prefix + "embed_tokens/embedding", new int[] {vocab, dModel});
        shapes.put(prefix + "embed_positions/embedding", new int[] {positions, dModel});
        shapes.put(prefix + "layernorm_embedding/scale", new int[] {dModel});
        shapes.put(prefix + "layernorm_embedding/bias", new int[] {dModel});
    }

    /** An attention block of every layer: bias-only pre-norm, four projections, NormFormer post-norm. */
    private void attention(Map<String, int[]> shapes, String layers, String block, String inputNorm,
                           String outputNorm, int layerCount) {
        shapes.put(layers + inputNorm + "/bias", new int[] {layerCount, dModel});
        for (String projection : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            shapes.put(layers + block + "/" + projection + "/kernel", new int[] {layerCount, dModel, dModel});
        }
        shapes.put(layers + outputNorm + "/scale", new int[] {layerCount, dModel});
        shapes.put(layers + outputNorm + "/bias", new int[] {layerCount, dModel});
    }

    /** The GLU block of every layer: bias-only norms before and in the middle, gate, linear and down kernels. */
    private void glu(Map<String, int[]> shapes, String layers, int layerCount, int hidden) {
        String glu = layers + "GLU_0/";
        shapes.put(glu + "LayerNorm_0/bias", new int[] {layerCount, dModel});
        shapes.put(glu + "Dense_0/kernel", new int[] {layerCount, dModel, hidden});
        shapes.put(glu + "Dense_1/kernel", new int[] {layerCount, dModel, hidden});
        shapes.put(glu + "LayerNorm_1/bias", new int[] {layerCount, hidden});
        shapes.put(glu + "Dense_2/kernel", new int[] {layerCount, hidden, dModel});
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new JdalleException("config.json: " + key + " must be positive, got " + value);
        }
    }

    private static void requireHeads(String key, int heads, int dModel) {
        requirePositive(key, heads);
        if (dModel % heads != 0) {
            throw new JdalleException("config.json: d_model " + dModel + " is not divisible by " + key + " " + heads);
        }
    }
}
