package io.github.jdalle.bench.models;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.testing.RandomWeights;
import io.github.jdalle.dallebart.DalleBartConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DalleBart checkpoint of random weights with the real parameter tree (spec {@code dallebart.md} §2.2,
 * scanned layout) and a {@code config.json} that {@link io.github.jdalle.dallebart.DalleBart#load} reads back.
 */
public final class DalleBartCheckpoint {
    private DalleBartCheckpoint() {
    }

    /** Random weights of {@code config}'s shapes stored as {@code dtype}. */
    public static RandomWeights random(DalleBartConfig config, DType dtype, long seed) {
        return RandomWeights.of(parameterShapes(config), configJson(config), seed, dtype);
    }

    /** Every Flax path of the checkpoint and its shape. */
    public static Map<String, int[]> parameterShapes(DalleBartConfig config) {
        int width = config.dModel();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("lm_head/kernel", new int[] {width, config.decoderVocabSize()});

        String encoder = "model/encoder/";
        embedding(shapes, encoder, config.encoderVocabSize(), config.maxTextLength(), width);
        String encoderLayer = encoder + "layers/FlaxBartEncoderLayers/";
        attention(shapes, encoderLayer, "FlaxBartAttention_0", "LayerNorm_0", "LayerNorm_1",
                config.encoderLayers(), width);
        glu(shapes, encoderLayer, config.encoderLayers(), width, config.encoderFfnDim());
        shapes.put(encoder + "final_ln/bias", new int[] {width});

        String decoder = "model/decoder/";
        embedding(shapes, decoder, config.decoderVocabSize(), config.imageLength(), width);
        String decoderLayer = decoder + "layers/FlaxBartDecoderLayers/";
        attention(shapes, decoderLayer, "FlaxBartAttention_0", "LayerNorm_0", "LayerNorm_1",
                config.decoderLayers(), width);
        attention(shapes, decoderLayer, "FlaxBartAttention_1", "LayerNorm_2", "LayerNorm_3",
                config.decoderLayers(), width);
        glu(shapes, decoderLayer, config.decoderLayers(), width, config.decoderFfnDim());
        shapes.put(decoder + "final_ln/bias", new int[] {width});
        return shapes;
    }

    /** The {@code config.json} keys that {@link DalleBartConfig#fromJson} reads. */
    public static String configJson(DalleBartConfig config) {
        return "{\"d_model\": " + config.dModel()
                + ", \"encoder_layers\": " + config.encoderLayers()
                + ", \"decoder_layers\": " + config.decoderLayers()
                + ", \"encoder_attention_heads\": " + config.encoderHeads()
                + ", \"decoder_attention_heads\": " + config.decoderHeads()
                + ", \"encoder_ffn_dim\": " + config.encoderFfnDim()
                + ", \"decoder_ffn_dim\": " + config.decoderFfnDim()
                + ", \"encoder_vocab_size\": " + config.encoderVocabSize()
                + ", \"image_vocab_size\": " + config.imageVocabSize()
                + ", \"max_text_length\": " + config.maxTextLength()
                + ", \"image_length\": " + config.imageLength()
                + ", \"decoder_start_token_id\": " + config.decoderStartTokenId()
                + ", \"normalize_text\": " + config.normalizeText() + "}";
    }

    /** Token and position tables and the norm after their sum. */
    private static void embedding(Map<String, int[]> shapes, String prefix, int vocab, int positions, int width) {
        shapes.put(prefix + "embed_tokens/embedding", new int[] {vocab, width});
        shapes.put(prefix + "embed_positions/embedding", new int[] {positions, width});
        shapes.put(prefix + "layernorm_embedding/scale", new int[] {width});
        shapes.put(prefix + "layernorm_embedding/bias", new int[] {width});
    }

    /** An attention block of every layer: bias-only pre-norm, four projections, NormFormer post-norm. */
    private static void attention(Map<String, int[]> shapes, String layers, String block, String inputNorm,
                                  String outputNorm, int layerCount, int width) {
        shapes.put(layers + inputNorm + "/bias", new int[] {layerCount, width});
        for (String projection : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            shapes.put(layers + block + "/" + projection + "/kernel", new int[] {layerCount, width, width});
        }
        shapes.put(layers + outputNorm + "/scale", new int[] {layerCount, width});
        shapes.put(layers + outputNorm + "/bias", new int[] {layerCount, width});
    }

    /** The GLU block of every layer: bias-only norms before and in the middle, gate, linear and down kernels. */
    private static void glu(Map<String, int[]> shapes, String layers, int layerCount, int width, int hidden) {
        String glu = layers + "GLU_0/";
        shapes.put(glu + "LayerNorm_0/bias", new int[] {layerCount, width});
        shapes.put(glu + "Dense_0/kernel", new int[] {layerCount, width, hidden});
        shapes.put(glu + "Dense_1/kernel", new int[] {layerCount, width, hidden});
        shapes.put(glu + "LayerNorm_1/bias", new int[] {layerCount, hidden});
        shapes.put(glu + "Dense_2/kernel", new int[] {layerCount, hidden, width});
    }
}
