package io.github.jdalle.dallebart.text;

import io.github.jdalle.core.testing.Golden;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The golden text files: manifests, the DalleBart tokenizer and the synthetic word list. */
final class GoldenText {
    private GoldenText() {
    }

    static JsonNode manifest(String component) {
        return JsonMapper.shared().readTree(bytes(component + "/manifest.json"));
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(Golden.file(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BartTokenizer tokenizer() {
        return BartTokenizer.fromFiles(bytes("tokenizer_dallebart/vocab.json"), bytes("tokenizer_dallebart/merges.txt"),
                BartTokenizer.DEFAULT_MAX_LENGTH, "golden tokenizer_dallebart");
    }

    static HashtagProcessor hashtags() {
        return HashtagProcessor.fromWordFrequencies(bytes("text_normalizer/enwiki-words-frequency.txt"),
                "golden enwiki-words-frequency.txt");
    }

    static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).intValue();
        }
        return values;
    }
}
