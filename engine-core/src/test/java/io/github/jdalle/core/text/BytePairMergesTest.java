package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BytePairMergesTest {

    /** openai/gpt-2 {@code encoder.py bpe()}: rescan for the lowest-ranked pair, merge it everywhere, repeat. */
    private static List<String> referenceBpe(BytePairMerges merges, String word, String suffix) {
        List<String> symbols = new ArrayList<>(word.codePoints().mapToObj(Character::toString).toList());
        symbols.set(symbols.size() - 1, symbols.getLast() + suffix);
        while (symbols.size() > 1) {
            int best = -1;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                int rank = merges.rank(symbols.get(i), symbols.get(i + 1));
                if (rank >= 0 && (best < 0 || rank < best)) {
                    best = rank;
                    first = symbols.get(i);
                    second = symbols.get(i + 1);
                }
            }
            if (best < 0) {
                break;
            }
            List<String> merged = new ArrayList<>();
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        return symbols;
    }

    private static final String MERGES = """
            #version: 0.2
            a b
            ab c
            a a
            aa a
            b c
            a bc
            abc abc
            c a
            """;

    @Test
    void parsesAndSkipsHeader() {
        BytePairMerges merges = BytePairMerges.parse(MERGES, "", "test merges");
        assertEquals(8, merges.size());
        assertEquals(0, merges.rank("a", "b"));
        assertEquals(7, merges.rank("c", "a"));
        assertEquals(-1, merges.rank("b", "a"));
    }

    @Test
    void mergesLowestRankFirstAndLeftToRight() {
        BytePairMerges merges = BytePairMerges.parse(MERGES, "", "test merges");
        assertEquals(List.of("abcabc"), merges.split("abcabc"));
        assertEquals(List.of("aaa"), merges.split("aaa"));
        // "a a" pairs up left to right before "aa a" may apply
        assertEquals(List.of("aa", "aa"), merges.split("aaaa"));
        assertEquals(List.of("aa", "aaa"), merges.split("aaaaa"));
        assertEquals(List.of("x"), merges.split("x"));
        assertEquals(List.of(), merges.split(""));
    }

    @Test
    void agreesWithReferenceLoopOnRandomWords() {
        // includes merges whose products are also made by other merges, and an out-of-order rank, as a real file may
        String text = MERGES + "ca b\nbc a\nc c\ncc c\nabc a\naa b\nb b\nbb b\n";
        Random random = new Random(7);
        for (String suffix : List.of("", "</w>")) {
            BytePairMerges merges = BytePairMerges.parse(text + "c</w> a\na c</w>\nab c</w>\n", suffix, "test");
            for (int trial = 0; trial < 3000; trial++) {
                StringBuilder word = new StringBuilder();
                int length = 1 + random.nextInt(14);
                for (int i = 0; i < length; i++) {
                    word.append("abcx".charAt(random.nextInt(random.nextInt(3) == 0 ? 4 : 3)));
                }
                String w = word.toString();
                assertEquals(referenceBpe(merges, w, suffix), merges.split(w), "word " + w + " suffix " + suffix);
            }
        }
    }

    @Test
    void endOfWordSuffixGoesOnTheLastSymbol() {
        BytePairMerges merges = BytePairMerges.parse("h i</w>\nh i\n", "</w>", "clip-like");
        assertEquals(List.of("hi</w>"), merges.split("hi"));
        assertEquals(List.of("h</w>"), merges.split("h"));
        assertEquals(List.of("hi", "h</w>"), merges.split("hih"));
    }

    @Test
    void longWordIsFast() {
        BytePairMerges merges = BytePairMerges.parse(MERGES, "", "test merges");
        String word = "abc".repeat(4_000) + "a".repeat(4_000);
        List<String> symbols = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> merges.split(word));
        assertEquals(word, String.join("", symbols));
        assertTrue(symbols.size() < word.length() / 2);
    }

    @Test
    void rejectsMalformedMerge() {
        JdalleException error = assertThrows(JdalleException.class,
                () -> BytePairMerges.parse("#version: 0.2\na b\nabc\n", "", "merges.txt"));
        assertTrue(error.getMessage().contains("merges.txt") && error.getMessage().contains("merge 1"), error.getMessage());
    }
}
