package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VocabularyTest {

    private static Vocabulary parse(String json) {
        return Vocabulary.fromJson(json.getBytes(StandardCharsets.UTF_8), "vocab.json");
    }

    @Test
    void readsTokensAndIds() {
        Vocabulary vocabulary = parse("{\"<s>\": 0, \"<pad>\": 1, \"\u0120the\": 7}");
        assertEquals(3, vocabulary.size());
        assertEquals(8, vocabulary.idLimit());
        assertEquals(7, vocabulary.id("\u0120the"));
        assertEquals("<pad>", vocabulary.token(1));
        assertTrue(vocabulary.find("missing").isEmpty());
    }

    @Test
    void errorsNameTheFile() {
        for (String bad : new String[]{"[1, 2]", "{\"a\": -1}", "{\"a\": 1.5}", "{\"a\": \"1\"}", "{\"a\": 1, \"b\": 1}", "{", ""}) {
            JdalleException error = assertThrows(JdalleException.class, () -> parse(bad), bad);
            assertTrue(error.getMessage().startsWith("vocab.json"), error.getMessage());
        }
        Vocabulary vocabulary = parse("{\"a\": 0}");
        assertTrue(assertThrows(JdalleException.class, () -> vocabulary.id("b")).getMessage().contains("vocab.json"));
        assertThrows(JdalleException.class, () -> vocabulary.token(5));
    }
}
