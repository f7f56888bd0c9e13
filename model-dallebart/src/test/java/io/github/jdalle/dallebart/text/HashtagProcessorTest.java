package io.github.jdalle.dallebart.text;

import io.github.jdalle.core.JdalleException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The splitter against {@code manifest.hashtag_processor_direct} (upstream HashtagProcessor on the synthetic word list). */
class HashtagProcessorTest {
    private static final HashtagProcessor HASHTAGS = GoldenText.hashtags();

    @Test
    void everyGoldenDirectCase() {
        JsonNode cases = GoldenText.manifest("text_normalizer").get("hashtag_processor_direct").get("cases");
        assertEquals(20, cases.size());
        for (JsonNode testCase : cases) {
            String input = testCase.get("input").stringValue();
            assertEquals(testCase.get("output").stringValue(), HASHTAGS.split(input), "hashtag " + input);
        }
    }

    @Test
    void withoutWordListTheBodyIsKept() {
        HashtagProcessor none = HashtagProcessor.none();
        assertFalse(none.hasWordList());
        assertTrue(HASHTAGS.hasWordList());
        assertEquals("newyorkcity", none.split("newyorkcity"));
    }

    @Test
    void laterDuplicateKeepsItsLaterRank() {
        // upstream builds the costs with a dict comprehension, so the second "ab" (rank 6, cost ln 7) replaces the
        // first (cost ln 1 = 0); ln 7 > ln 2 + ln 3, so "ab" splits into "a b" (with the first rank it would stay whole)
        byte[] words = "ab 9\r\na 8\r\nb 7\r\nc 1\nd 1\ne 1\nab 1\n".getBytes(StandardCharsets.UTF_8);
        HashtagProcessor processor = HashtagProcessor.fromWordFrequencies(words, "test words");
        assertEquals("a b", processor.split("ab"));
    }

    @Test
    void longHashtagIsLinear() {
        String body = "newyorkcity".repeat(1_000);
        String split = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> HASHTAGS.split(body));
        assertEquals(("new york city ".repeat(1_000)).strip(), split);
    }

    @Test
    void emptyLineIsAnError() {
        JdalleException error = assertThrows(JdalleException.class,
                () -> HashtagProcessor.fromWordFrequencies("the 5\n\nof 3\n".getBytes(StandardCharsets.UTF_8), "words.txt"));
        assertTrue(error.getMessage().contains("words.txt") && error.getMessage().contains("line 2"), error.getMessage());
    }
}
