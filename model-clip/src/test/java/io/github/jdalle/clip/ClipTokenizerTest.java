package io.github.jdalle.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.testing.Golden;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Against OpenAI's {@code SimpleTokenizer} with the real CLIP vocabulary ({@code golden/tokenizer_clip}). */
class ClipTokenizerTest {
    private static ClipTokenizer tokenizer;
    private static List<String> prompts;
    private static List<int[]> contentIds;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipTokenizer.fromFiles(Files.readAllBytes(Golden.file("tokenizer_clip/vocab.json")),
                Files.readAllBytes(Golden.file("tokenizer_clip/merges.txt")));
        JsonNode manifest = new ObjectMapper().readTree(Files.readString(Golden.file("tokenizer_clip/manifest.json")));
        prompts = new ArrayList<>();
        contentIds = new ArrayList<>();
        for (JsonNode c : manifest.path("cases")) {
            prompts.add(c.path("text").asString());
            int[] ids = new int[c.path("content_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.path("content_ids").path(i).asInt();
            }
            contentIds.add(ids);
        }
        assertEquals(42, prompts.size());
    }

    @Test
    void contentIdsOfEveryPrompt() {
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(contentIds.get(i), tokenizer.contentIds(prompts.get(i)), "prompt " + i + ": " + prompts.get(i));
        }
    }

    @Test
    void huggingFaceStyleBatch() {
        ClipTokens tokens = tokenizer.encode(prompts);
        assertArrayEquals(new int[] {42, 77}, tokens.inputIds().shape());
        assertArrayEquals(Golden.npy("tokenizer_clip/input_ids.npy").ints(), tokens.inputIds().toIntArray());
        assertArrayEquals(Golden.npy("tokenizer_clip/attention_mask.npy").ints(), tokens.attentionMask().toIntArray());
    }

    @Test
    void openAiStyleBatch() {
        ClipTokens tokens = tokenizer.encode(prompts, ClipTokenizer.CONTEXT_LENGTH, ClipTokenizer.Padding.ZERO);
        assertArrayEquals(Golden.npy("tokenizer_clip/input_ids_openai.npy").ints(), tokens.inputIds().toIntArray());
    }

    @Test
    void everyRowIsPooledAtItsEndToken() {
        ClipTokens tokens = tokenizer.encode(prompts);
        int[] legacy = tokens.poolingPositions(2);
        int[] firstEnd = tokens.poolingPositions(tokenizer.endId());
        assertArrayEquals(legacy, firstEnd);
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(Math.min(contentIds.get(i).length, 75) + 1, legacy[i], "prompt " + i);
        }
    }

    /** Expected ids: Python's {@code html.unescape} applied twice, then the golden ids of the plain text. */
    @Test
    void htmlEntitiesAreDecodedTwice() {
        int[] saltAndPepper = tokenizer.contentIds("salt & pepper");
        assertArrayEquals(saltAndPepper, tokenizer.contentIds("salt &amp; pepper"));
        assertArrayEquals(saltAndPepper, tokenizer.contentIds("salt &amp;amp; pepper"));
        assertEquals("salt & pepper", ClipTokenizer.clean("  SALT\u00a0&amp;amp;\t\u2003pepper\u001f"));
    }

    @Test
    void specialTokensInTheText() {
        assertArrayEquals(new int[] {320, 49407, 2368}, tokenizer.contentIds("a <|ENDOFTEXT|> cat"));
    }

    @Test
    void filesThatDoNotFitAreRejected() {
        byte[] vocab = "{\"a\": 0}".getBytes(StandardCharsets.UTF_8);
        assertThrows(JdalleException.class, () -> ClipTokenizer.fromFiles(vocab, new byte[0]));
        assertThrows(JdalleException.class, () -> ClipTokenizer.fromFiles("[1]".getBytes(StandardCharsets.UTF_8),
                new byte[0]));
        assertThrows(JdalleException.class, () -> tokenizer.encode(List.of("x"), 1, ClipTokenizer.Padding.ZERO));
    }
}
