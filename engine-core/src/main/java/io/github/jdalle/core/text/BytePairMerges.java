package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The merge loop of byte-pair encoding with ranks from a {@code merges.txt} list (line i, "left right", has
 * rank i): a word starts as one symbol per code point and the adjacent pair of lowest rank is merged, every
 * occurrence left to right, until no adjacent pair has a rank. This is {@code bpe()} of openai/gpt-2
 * {@code encoder.py} and of openai/CLIP {@code simple_tokenizer.py}; CLIP appends an end-of-word suffix
 * ({@code </w>}) to the last symbol before merging, GPT-2 and BART use none.
 *
 * <p>Each round of equal rank runs over a priority queue instead of rescanning the word, so a word of n
 * symbols costs O(n log n) rather than O(n²) — a 10 000-character word without spaces stays fast — and the
 * result is the reference loop's: pairs created by a round are only queued once the round is over.
 * Results are cached per word (bounded). Immutable apart from the cache; safe to share between threads.
 */
public final class BytePairMerges {
    private static final int CACHE_LIMIT = 65_536;

    /** "left right" → rank; the merges.txt line itself is the key (symbols never contain a space). */
    private final Map<String, Integer> ranks;
    private final String endOfWordSuffix;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    private BytePairMerges(Map<String, Integer> ranks, String endOfWordSuffix) {
        this.ranks = ranks;
        this.endOfWordSuffix = endOfWordSuffix;
    }

    /**
     * Ranks from the text of a {@code merges.txt}: an optional first line {@code #version: …} is skipped, as
     * are empty lines; every other line is one merge, "left right".
     *
     * @param endOfWordSuffix appended to a word's last symbol before merging ({@code "</w>"} for CLIP, {@code ""} for GPT-2/BART)
     * @param source          names the file in error messages
     */
    public static BytePairMerges parse(String mergesText, String endOfWordSuffix, String source) {
        List<String> lines = new ArrayList<>(mergesText.lines().toList());
        if (!lines.isEmpty() && lines.getFirst().startsWith("#version")) {
            lines.removeFirst();
        }
        lines.removeIf(String::isEmpty);
        return of(lines, endOfWordSuffix, source);
    }

    /**
     * Ranks from a list of merges, each "left right", rank = index. As in the Python references, a merge that is
     * listed twice keeps its later rank.
     */
    public static BytePairMerges of(List<String> merges, String endOfWordSuffix, String source) {
        Map<String, Integer> ranks = HashMap.newHashMap(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String merge = merges.get(rank);
            int space = merge.indexOf(' ');
            if (space <= 0 || space == merge.length() - 1 || merge.indexOf(' ', space + 1) >= 0) {
                throw new JdalleException(source + ": merge " + rank + " is not two symbols separated by one space: \""
                        + merge + "\"");
            }
            ranks.put(merge, rank);
        }
        return new BytePairMerges(ranks, endOfWordSuffix);
    }

    /** The number of distinct merges. */
    public int size() {
        return ranks.size();
    }

    /** The rank of merging {@code left} and {@code right}, or -1 when they never merge. */
    public int rank(String left, String right) {
        Integer rank = ranks.get(left + " " + right);
        return rank == null ? -1 : rank;
    }

    /**
     * The symbols of {@code word} after all merges (the end-of-word suffix, if any, is part of the last one).
     * An empty word gives no symbols.
     */
    public List<String> split(String word) {
        if (word.isEmpty()) {
            return List.of();
        }
        List<String> cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = merge(initialSymbols(word));
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(word, symbols);
        return symbols;
    }

    private String[] initialSymbols(String word) {
        String[] symbols = word.codePoints().mapToObj(Character::toString).toArray(String[]::new);
        symbols[symbols.length - 1] += endOfWordSuffix;
        return symbols;
    }

    /**
     * Merges over a linked list of symbols (a merged-away symbol becomes null). The queue holds
     * {@code rank << 32 | left position}, so it pops the lowest rank first and, within a rank, left to right.
     */
    private List<String> merge(String[] symbol) {
        int count = symbol.length;
        int[] next = new int[count];
        int[] previous = new int[count];
        for (int i = 0; i < count; i++) {
            next[i] = i + 1 < count ? i + 1 : -1;
            previous[i] = i - 1;
        }
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < count; i++) {
            enqueue(queue, symbol, next, i);
        }
        List<Integer> mergedThisRound = new ArrayList<>();
        while (!queue.isEmpty()) {
            long roundRank = queue.peek() >>> 32;
            while (!queue.isEmpty() && queue.peek() >>> 32 == roundRank) {
                int left = (int) (long) queue.poll();
                int right = symbol[left] == null ? -1 : next[left];
                // stale entry: this position was merged away or its neighbour changed since it was queued
                if (right < 0 || rank(symbol[left], symbol[right]) != roundRank) {
                    continue;
                }
                symbol[left] = symbol[left] + symbol[right];
                symbol[right] = null;
                next[left] = next[right];
                if (next[left] >= 0) {
                    previous[next[left]] = left;
                }
                mergedThisRound.add(left);
            }
            // a merged symbol is never merged away in its own round (it is neither the round's left nor right symbol)
            for (int position : mergedThisRound) {
                if (previous[position] >= 0) {
                    enqueue(queue, symbol, next, previous[position]);
                }
                enqueue(queue, symbol, next, position);
            }
            mergedThisRound.clear();
        }
        List<String> merged = new ArrayList<>();
        for (int i = 0; i >= 0; i = next[i]) {
            merged.add(symbol[i]);
        }
        return List.copyOf(merged);
    }

    private void enqueue(PriorityQueue<Long> queue, String[] symbol, int[] next, int left) {
        int right = next[left];
        if (right >= 0) {
            int rank = rank(symbol[left], symbol[right]);
            if (rank >= 0) {
                queue.add((long) rank << 32 | left);
            }
        }
    }
}
