package io.github.jdalle.bench.models;

import io.github.jdalle.clip.ClipConfig;
import io.github.jdalle.clip.ClipTokenizer;
import io.github.jdalle.core.testing.RandomWeights;
import io.github.jdalle.core.text.ByteLevel;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A CLIP checkpoint of random weights with the real parameter tree (spec {@code clip.md} §3), and a tokenizer
 * that needs no vocabulary file.
 */
public final class ClipCheckpoint {
    private static final int START_OF_TEXT = 49406;
    private static final int END_OF_TEXT = 49407;
    private static final String END_OF_WORD = "</w>";

    private ClipCheckpoint() {
    }

    /** Random F32 weights of {@code config}'s shapes. */
    public static RandomWeights random(ClipConfig config, long seed) {
        return RandomWeights.of(parameterShapes(config), null, seed);
    }

    /** Every Flax path of the checkpoint and its shape. */
    public static Map<String, int[]> parameterShapes(ClipConfig config) {
        ClipConfig.Text text = config.text();
        ClipConfig.Vision vision = config.vision();
        int projection = config.projectionDim();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("text_model/embeddings/token_embedding/embedding", new int[] {text.vocabSize(), text.hiddenSize()});
        shapes.put("text_model/embeddings/position_embedding/embedding",
                new int[] {text.maxPositions(), text.hiddenSize()});
        encoder(shapes, "text_model/encoder/layers/", text.layers(), text.hiddenSize(), text.intermediateSize());
        norm(shapes, "text_model/final_layer_norm", text.hiddenSize());
        shapes.put("text_projection/kernel", new int[] {text.hiddenSize(), projection});

        int width = vision.hiddenSize();
        shapes.put("vision_model/embeddings/class_embedding", new int[] {width});
        shapes.put("vision_model/embeddings/patch_embedding/kernel",
                new int[] {vision.patchSize(), vision.patchSize(), 3, width});
        shapes.put("vision_model/embeddings/position_embedding/embedding", new int[] {vision.tokenCount(), width});
        norm(shapes, "vision_model/pre_layrnorm", width);
        encoder(shapes, "vision_model/encoder/layers/", vision.layers(), width, vision.intermediateSize());
        norm(shapes, "vision_model/post_layernorm", width);
        shapes.put("visual_projection/kernel", new int[] {width, projection});
        shapes.put("logit_scale", new int[0]);
        return shapes;
    }

    /**
     * A tokenizer with ViT-B/32's special-token ids that knows each of {@code words} as one token, as the real
     * vocabulary knows common words, and every other byte as its own token (ids 0–255, 256–511 at the end of
     * a word). Each word is reached by a chain of merges that joins its symbols left to right.
     */
    public static ClipTokenizer wordTokenizer(String... words) {
        Map<String, Integer> vocabulary = new LinkedHashMap<>();
        vocabulary.put("<|startoftext|>", START_OF_TEXT);
        vocabulary.put("<|endoftext|>", END_OF_TEXT);
        for (int b = 0; b < 256; b++) {
            vocabulary.put(String.valueOf(ByteLevel.charOf(b)), b);
            vocabulary.put(ByteLevel.charOf(b) + END_OF_WORD, 256 + b);
        }
        StringBuilder merges = new StringBuilder("#version: 0.2\n");
        int nextId = 512;
        for (String word : new LinkedHashSet<>(List.of(words))) {
            String symbols = ByteLevel.encode(word);
            String joined = symbols.substring(0, 1);
            for (int i = 1; i < symbols.length(); i++) {
                String next = symbols.substring(i, i + 1) + (i == symbols.length() - 1 ? END_OF_WORD : "");
                merges.append(joined).append(' ').append(next).append('\n');
                joined += next;
            }
            vocabulary.put(joined, nextId++);
        }
        StringBuilder json = new StringBuilder("{");
        vocabulary.forEach((token, id) -> json.append(json.length() > 1 ? ", " : "")
                .append('"').append(token.replace("\\", "\\\\").replace("\"", "\\\"")).append("\": ").append(id));
        json.append('}');
        return ClipTokenizer.fromFiles(json.toString().getBytes(StandardCharsets.UTF_8),
                merges.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Per layer: two norms, attention projections with biases, the MLP. */
    private static void encoder(Map<String, int[]> shapes, String layers, int count, int width, int hidden) {
        for (int i = 0; i < count; i++) {
            String layer = layers + i + "/";
            norm(shapes, layer + "layer_norm1", width);
            for (String projection : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                shapes.put(layer + "self_attn/" + projection + "/kernel", new int[] {width, width});
                shapes.put(layer + "self_attn/" + projection + "/bias", new int[] {width});
            }
            norm(shapes, layer + "layer_norm2", width);
            shapes.put(layer + "mlp/fc1/kernel", new int[] {width, hidden});
            shapes.put(layer + "mlp/fc1/bias", new int[] {hidden});
            shapes.put(layer + "mlp/fc2/kernel", new int[] {hidden, width});
            shapes.put(layer + "mlp/fc2/bias", new int[] {width});
        }
    }

    private static void norm(Map<String, int[]> shapes, String prefix, int width) {
        shapes.put(prefix + "/scale", new int[] {width});
        shapes.put(prefix + "/bias", new int[] {width});
    }
}
