package io.github.jdalle.dallebart.text;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.dallebart.PromptTokens;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tokenizer against {@code testdata/golden/tokenizer_dallebart} (ids from openai/gpt-2 encoder.py; exact). */
class BartTokenizerTest {
    private static final BartTokenizer TOKENIZER = GoldenText.tokenizer();

    @Test
    void everyGoldenPromptGivesTheGoldenIdsAndMask() {
        JsonNode cases = GoldenText.manifest("tokenizer_dallebart").get("cases");
        int[] inputIds = Golden.npy("tokenizer_dallebart/input_ids.npy").ints();
        int[] attentionMask = Golden.npy("tokenizer_dallebart/attention_mask.npy").ints();
        int length = BartTokenizer.DEFAULT_MAX_LENGTH;
        assertEquals(40, cases.size());
        assertEquals(cases.size() * length, inputIds.length);
        for (int row = 0; row < cases.size(); row++) {
            JsonNode testCase = cases.get(row);
            String text = testCase.get("text").stringValue();
            assertArrayEquals(GoldenText.ints(testCase.get("content_ids")), TOKENIZER.contentIds(text), "content of case " + row);
            PromptTokens tokens = TOKENIZER.encode(text);
            assertArrayEquals(Arrays.copyOfRange(inputIds, row * length, (row + 1) * length), tokens.ids(), "ids of case " + row);
            assertArrayEquals(Arrays.copyOfRange(attentionMask, row * length, (row + 1) * length), tokens.mask(), "mask of case " + row);
        }
    }

    @Test
    void unconditionalIsBosEosAndPadding() {
        // spec §4.1: the tokenization of "" is [0, 2, 1 × 62] with mask [1, 1, 0 × 62]; also golden case 25
        PromptTokens unconditional = TOKENIZER.unconditional();
        int[] ids = new int[64];
        Arrays.fill(ids, 1);
        ids[0] = 0;
        ids[1] = 2;
        int[] mask = new int[64];
        mask[0] = 1;
        mask[1] = 1;
        assertArrayEquals(ids, unconditional.ids());
        assertArrayEquals(mask, unconditional.mask());
        assertEquals(PromptTokens.unconditional(64), unconditional);
    }

    @Test
    void longPromptIsTruncatedToKeepEndToken() {
        String text = " a photo of a cat".repeat(600);
        PromptTokens tokens = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> TOKENIZER.encode(text));
        int[] ids = tokens.ids();
        assertEquals(64, ids.length);
        assertEquals(2, ids[63], "</s> survives truncation");
        assertArrayEquals(Arrays.copyOf(TOKENIZER.contentIds(text), 62), Arrays.copyOfRange(ids, 1, 63));
        assertTrue(Arrays.stream(tokens.mask()).allMatch(m -> m == 1));
    }

    @Test
    void longWordWithoutSpacesIsFast() {
        String text = "qzxv".repeat(2_500);
        int[] content = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> TOKENIZER.contentIds(text));
        assertTrue(content.length > 62);
    }

    @Test
    void nonLatinEmojiControlAndSurrogatesAreByteLevel() {
        // byte-level BPE covers every byte, so any text tokenizes; a lone surrogate is encoded as '?'
        for (String text : new String[]{" москва", " 北京", " مرحبا", "\uD83D\uDC36\uD83E\uDD8A", "a\u0000b\u001Fc", "x\uD800y"}) {
            PromptTokens tokens = TOKENIZER.encode(text);
            assertEquals(0, tokens.ids()[0]);
            assertTrue(TOKENIZER.contentIds(text).length > 0, text);
        }
        assertArrayEquals(TOKENIZER.contentIds("x?y"), TOKENIZER.contentIds("x\uD800y"));
    }

    @Test
    void readsAssetsAndTextLengthFromTheWeightFile() {
        try (WeightSource source = FlaxMsgpack.open(Golden.file("dallebart/model"))) {
            BartTokenizer tokenizer = BartTokenizer.fromAssets(source);
            assertEquals(64, tokenizer.maxLength());
            assertEquals(TOKENIZER.encode(" a photo of a cat"), tokenizer.encode(" a photo of a cat"));
        }
    }

    @Test
    void badFilesAreNamed() {
        byte[] merges = GoldenText.bytes("tokenizer_dallebart/merges.txt");
        JdalleException noPad = assertThrows(JdalleException.class,
                () -> BartTokenizer.fromFiles("{\"<s>\": 0, \"</s>\": 2}".getBytes(), merges, 64, "broken"));
        assertTrue(noPad.getMessage().contains("broken vocab.json") && noPad.getMessage().contains("<pad>"), noPad.getMessage());
        assertThrows(JdalleException.class, () -> BartTokenizer.fromFiles(GoldenText.bytes("tokenizer_dallebart/vocab.json"),
                "#version: 0.2\nabc\n".getBytes(), 64, "broken"));
        assertThrows(JdalleException.class, () -> BartTokenizer.fromFiles(GoldenText.bytes("tokenizer_dallebart/vocab.json"),
                merges, 1, "short"));
    }
}
