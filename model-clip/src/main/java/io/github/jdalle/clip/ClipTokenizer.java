package io.github.jdalle.clip;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.text.BytePairMerges;
import io.github.jdalle.core.text.ByteLevel;
import io.github.jdalle.core.text.HtmlUnescape;
import io.github.jdalle.core.text.Vocabulary;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's tokenizer (OpenAI {@code simple_tokenizer.py}, which Hugging Face's {@code CLIPTokenizer} matches):
 * clean the text, split it with CLIP's pre-tokenizer pattern, map each piece's UTF-8 bytes to GPT-2's
 * printable byte characters and merge them with byte-level BPE, the last symbol of a word carrying
 * {@code </w>}. Every text becomes {@code <|startoftext|>} ids {@code <|endoftext|>}, cut or padded to the
 * context length. Immutable and thread-safe.
 */
public final class ClipTokenizer {
    /** CLIP's context length. */
    public static final int CONTEXT_LENGTH = 77;
    private static final String START_OF_TEXT = "<|startoftext|>";
    private static final String END_OF_TEXT = "<|endoftext|>";
    private static final String END_OF_WORD = "</w>";

    /**
     * CLIP's pre-tokenizer: the special tokens, English contractions, runs of letters, single digits, runs of
     * other non-space characters. Whitespace is dropped. Only ASCII whitespace can remain after
     * {@link #clean}, so Java's ASCII {@code \s} agrees with Python's here.
     */
    private static final Pattern PIECES = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    /** Python's {@code \s} in a str pattern: Unicode White_Space plus the separators U+001C…U+001F. */
    private static final Pattern WHITESPACE = Pattern.compile("[\\p{IsWhite_Space}\\x1c-\\x1f]+");

    /** How a sequence shorter than the context is filled. */
    public enum Padding {
        /** Hugging Face ({@code padding="max_length"}): with {@code <|endoftext|>}, masked out. */
        END_OF_TEXT,
        /** OpenAI {@code clip.tokenize}: with id 0. */
        ZERO
    }

    private final Vocabulary vocabulary;
    private final BytePairMerges merges;
    private final int startId;
    private final int endId;

    private ClipTokenizer(Vocabulary vocabulary, BytePairMerges merges) {
        this.vocabulary = vocabulary;
        this.merges = merges;
        this.startId = vocabulary.id(START_OF_TEXT);
        this.endId = vocabulary.id(END_OF_TEXT);
    }

    /**
     * A tokenizer from Hugging Face's {@code vocab.json} (symbol → id) and {@code merges.txt} (a
     * {@code #version} line, then one merge "first second" per line, best first).
     */
    public static ClipTokenizer fromFiles(byte[] vocabJson, byte[] mergesTxt) {
        return new ClipTokenizer(Vocabulary.fromJson(vocabJson, "CLIP vocab.json"),
                BytePairMerges.parse(new String(mergesTxt, StandardCharsets.UTF_8), END_OF_WORD, "CLIP merges.txt"));
    }

    /** The tokenizer stored with a checkpoint as the assets {@code vocab.json} and {@code merges.txt}. */
    public static ClipTokenizer fromAssets(WeightSource source) {
        return fromFiles(asset(source, "vocab.json"), asset(source, "merges.txt"));
    }

    /** Id of {@code <|startoftext|>}. */
    public int startId() {
        return startId;
    }

    /** Id of {@code <|endoftext|>}. */
    public int endId() {
        return endId;
    }

    /** Content ids of {@code text}, without start and end tokens and without a length limit. */
    public int[] contentIds(String text) {
        List<Integer> ids = new ArrayList<>();
        Matcher pieces = PIECES.matcher(clean(text));
        while (pieces.find()) {
            String piece = pieces.group();
            if (piece.equals(START_OF_TEXT) || piece.equals(END_OF_TEXT)) {
                ids.add(vocabulary.id(piece));
                continue;
            }
            for (String symbol : merges.split(ByteLevel.encode(piece))) {
                ids.add(vocabulary.id(symbol));
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Hugging Face style batch: context length 77, padded with {@code <|endoftext|>}. */
    public ClipTokens encode(List<String> texts) {
        return encode(texts, CONTEXT_LENGTH, Padding.END_OF_TEXT);
    }

    /**
     * Tokenizes every text to {@code length} ids: the start token, at most {@code length − 2} content ids (the
     * rest is cut, the end token is kept), the end token, then padding.
     */
    public ClipTokens encode(List<String> texts, int length, Padding padding) {
        if (length < 2) {
            throw new JdalleException("a CLIP sequence needs room for the start and end tokens, got length " + length);
        }
        int padId = padding == Padding.END_OF_TEXT ? endId : 0;
        int[] ids = new int[texts.size() * length];
        int[] mask = new int[texts.size() * length];
        for (int row = 0; row < texts.size(); row++) {
            int[] content = contentIds(texts.get(row));
            int kept = Math.min(content.length, length - 2);
            int base = row * length;
            Arrays.fill(ids, base, base + length, padId);
            ids[base] = startId;
            System.arraycopy(content, 0, ids, base + 1, kept);
            ids[base + 1 + kept] = endId;
            Arrays.fill(mask, base, base + kept + 2, 1);
        }
        return new ClipTokens(Tensor.ofInts(ids, texts.size(), length), Tensor.ofInts(mask, texts.size(), length));
    }

    /**
     * OpenAI's cleaning: HTML entities decoded twice, whitespace runs collapsed to one space and trimmed,
     * lower case. (OpenAI runs ftfy first, which leaves ordinary NFC text as it is.)
     */
    static String clean(String text) {
        String unescaped = HtmlUnescape.unescape(HtmlUnescape.unescape(text));
        return WHITESPACE.matcher(unescaped).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
    }

    private static byte[] asset(WeightSource source, String name) {
        return source.asset(name).orElseThrow(
                () -> new JdalleException(source.description() + ": no " + name + " for the CLIP tokenizer"));
    }
}
