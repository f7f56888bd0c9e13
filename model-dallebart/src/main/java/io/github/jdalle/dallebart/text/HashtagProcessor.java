package io.github.jdalle.dallebart.text;

import io.github.jdalle.core.JdalleException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Splits a hashtag body into words ({@code newyorkcity} → {@code new york city}): dalle-mini's
 * {@code HashtagProcessor} (spec §4.3), a wordninja-style dynamic programme over word costs
 * {@code ln(rank + 1)} from {@code enwiki-words-frequency.txt} (rank = 0-based line, word = the line's first
 * field, a repeated word keeps its later rank). The body is cut at every run of characters other than
 * {@code [a-zA-Z0-9']}; each piece is segmented at minimal total cost, ties going to the shorter last word;
 * then, from right to left, a piece is glued to the following token when that token is {@code 's} or when
 * both meet in digits ({@code 2022} stays whole); a lone apostrophe stays a token of its own.
 *
 * <p>Costs are {@link Math#log}; CPython's {@code math.log} is the platform's libm, which on glibc 2.36 differs
 * from it in the last bit for 155 of the first five million ranks (the first at rank 9169), so only a split
 * whose alternatives tie to the last bit could come out differently.
 *
 * <p>{@link #none()} is the processor without a word list: it returns the body unchanged (upstream always
 * has the list; a weight file without the asset gets this). Immutable and thread-safe.
 */
public final class HashtagProcessor {
    private static final Pattern SEPARATORS = Pattern.compile("[^a-zA-Z0-9']+");
    /** Python's {@code str.splitlines()} boundaries. */
    private static final Pattern LINE_BREAKS = Pattern.compile("\r\n|[\n\r\u000B\u000C\u001C\u001D\u001E\u0085\u2028\u2029]");
    /** Python's {@code str.split()} whitespace (ASCII, the information separators and Unicode spaces). */
    private static final Pattern FIELD_SEPARATORS = Pattern.compile("[\\s\\x1c-\\x1f\\p{Z}\\u0085]+");

    /** Word → cost; null for {@link #none()}. */
    private final Map<String, Double> wordCost;
    /** Length in code points of the longest word in the list. */
    private final int maxWordLength;

    private HashtagProcessor(Map<String, Double> wordCost, int maxWordLength) {
        this.wordCost = wordCost;
        this.maxWordLength = maxWordLength;
    }

    /** The processor that leaves hashtags as they are (no word list available). */
    public static HashtagProcessor none() {
        return new HashtagProcessor(null, 0);
    }

    /**
     * The processor for the UTF-8 text of {@code enwiki-words-frequency.txt} ("word count" per line, most frequent
     * first). Throws a {@link JdalleException} naming {@code source} and the line when a line has no word.
     */
    public static HashtagProcessor fromWordFrequencies(byte[] fileBytes, String source) {
        String text = new String(fileBytes, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(LINE_BREAKS.split(text, -1)));
        // like splitlines(): a final line break does not start another line
        if (!lines.isEmpty() && lines.getLast().isEmpty()) {
            lines.removeLast();
        }
        Map<String, Double> cost = HashMap.newHashMap(lines.size());
        int maxWordLength = 0;
        for (int rank = 0; rank < lines.size(); rank++) {
            String word = firstField(lines.get(rank));
            if (word.isEmpty()) {
                throw new JdalleException(source + ": line " + (rank + 1) + " has no word");
            }
            cost.put(word, Math.log(rank + 1.0));
            maxWordLength = Math.max(maxWordLength, word.codePointCount(0, word.length()));
        }
        if (cost.isEmpty()) {
            throw new JdalleException(source + " has no words");
        }
        return new HashtagProcessor(Map.copyOf(cost), maxWordLength);
    }

    private static String firstField(String line) {
        for (String field : FIELD_SEPARATORS.split(line)) {
            if (!field.isEmpty()) {
                return field;
            }
        }
        return "";
    }

    /** True when this processor has a word list (otherwise {@link #split} returns its input). */
    public boolean hasWordList() {
        return wordCost != null;
    }

    /** {@code body} split into words joined by single spaces, e.g. {@code 100daysofcode} → {@code 100 days of code}. */
    public String split(String body) {
        if (wordCost == null) {
            return body;
        }
        List<String> tokens = new ArrayList<>();
        for (String piece : SEPARATORS.split(body, -1)) {
            tokens.addAll(segment(piece));
        }
        return String.join(" ", tokens);
    }

    /** One piece (only {@code [a-zA-Z0-9']}, so one char per code point) in left-to-right tokens. */
    private List<String> segment(String piece) {
        int length = piece.length();
        String lower = piece.toLowerCase(Locale.ROOT);
        // cost[i]: cheapest split of the first i characters; lastWord[i]: the length of its last word
        double[] cost = new double[length + 1];
        int[] lastWord = new int[length + 1];
        for (int i = 1; i <= length; i++) {
            double best = Double.POSITIVE_INFINITY;
            int bestLength = 0;
            for (int k = 1; k <= Math.min(i, maxWordLength); k++) {
                double candidate = cost[i - k] + wordCost.getOrDefault(lower.substring(i - k, i), Double.POSITIVE_INFINITY);
                // strictly lower only: on equal cost (including two unknown words) the shorter word wins
                if (bestLength == 0 || candidate < best) {
                    best = candidate;
                    bestLength = k;
                }
            }
            cost[i] = best;
            lastWord[i] = bestLength;
        }
        List<String> reversed = new ArrayList<>();
        for (int end = length; end > 0; end -= lastWord[end]) {
            String word = piece.substring(end - lastWord[end], end);
            boolean glue = false;
            if (!word.equals("'") && !reversed.isEmpty()) {
                String following = reversed.getLast();
                glue = following.equals("'s") || (isDigit(word.charAt(word.length() - 1)) && isDigit(following.charAt(0)));
            }
            if (glue) {
                reversed.set(reversed.size() - 1, word + reversed.getLast());
            } else {
                reversed.add(word);
            }
        }
        Collections.reverse(reversed);
        return reversed;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
