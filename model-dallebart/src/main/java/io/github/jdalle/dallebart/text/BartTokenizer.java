package io.github.jdalle.dallebart.text;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.text.BytePairMerges;
import io.github.jdalle.core.text.ByteLevel;
import io.github.jdalle.core.text.Vocabulary;
import io.github.jdalle.dallebart.DalleBartConfig;
import io.github.jdalle.dallebart.PromptTokens;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * DalleBart's text tokenizer (spec §4.4): GPT-2 byte-level BPE from {@code vocab.json} and {@code merges.txt},
 * giving {@code <s>} content {@code </s>} right-padded with {@code <pad>} to the model's text length (64), the
 * content truncated so that {@code </s>} always fits, and the attention mask. As HF's
 * {@code BartTokenizerFast} with {@code add_prefix_space=false}: no space is added (the normalizer already
 * starts the text with one), and nothing is lower-cased.
 *
 * <p>Ids of the special tokens are read from the vocabulary. As openai/gpt-2 {@code encoder.py}, text that
 * spells a special token ({@code "<s>"}) is encoded as ordinary text; the normalizer removes such tags anyway.
 * A symbol missing from the vocabulary, which a byte-level vocabulary never has, becomes {@code <unk>}.
 * Immutable and thread-safe.
 */
public final class BartTokenizer {
    /** The default text length of mini-1 and mega-1 ({@code max_text_length}). */
    public static final int DEFAULT_MAX_LENGTH = 64;
    /** Begin-of-sequence token, first of every prompt. */
    public static final String BOS = "<s>";
    /** Padding token, after {@code </s>} up to the text length. */
    public static final String PAD = "<pad>";
    /** End-of-sequence token, after the content. */
    public static final String EOS = "</s>";
    /** Unknown-symbol token. */
    public static final String UNK = "<unk>";

    /** GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, each with at most one leading space; whitespace. */
    private static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final Vocabulary vocabulary;
    private final BytePairMerges merges;
    private final int maxLength;
    private final int bos;
    private final int pad;
    private final int eos;
    private final OptionalInt unk;

    /**
     * A tokenizer over a vocabulary and its merges.
     *
     * @param maxLength ids per prompt, special tokens included (at least 2)
     */
    public BartTokenizer(Vocabulary vocabulary, BytePairMerges merges, int maxLength) {
        if (maxLength < 2) {
            throw new JdalleException("text length " + maxLength + " leaves no room for " + BOS + " and " + EOS);
        }
        this.vocabulary = vocabulary;
        this.merges = merges;
        this.maxLength = maxLength;
        this.bos = vocabulary.id(BOS);
        this.pad = vocabulary.id(PAD);
        this.eos = vocabulary.id(EOS);
        this.unk = vocabulary.find(UNK);
    }

    /** A tokenizer from the bytes of {@code vocab.json} and {@code merges.txt}; {@code source} names them in errors. */
    public static BartTokenizer fromFiles(byte[] vocabJson, byte[] mergesTxt, int maxLength, String source) {
        return new BartTokenizer(
                Vocabulary.fromJson(vocabJson, source + " vocab.json"),
                BytePairMerges.parse(new String(mergesTxt, StandardCharsets.UTF_8), "", source + " merges.txt"),
                maxLength);
    }

    /**
     * The tokenizer of a DalleBart weight file: its {@code vocab.json} and {@code merges.txt} assets, and the text
     * length {@code max_text_length} of its {@code config.json} (64 when the file has no config).
     */
    public static BartTokenizer fromAssets(WeightSource source) {
        int maxLength = source.config()
                .map(json -> DalleBartConfig.fromJson(json, source.description()).maxTextLength())
                .orElse(DEFAULT_MAX_LENGTH);
        return fromFiles(asset(source, "vocab.json"), asset(source, "merges.txt"), maxLength, source.description());
    }

    private static byte[] asset(WeightSource source, String name) {
        return source.asset(name).orElseThrow(() ->
                new JdalleException(source.description() + " has no tokenizer asset " + name));
    }

    /** Ids per prompt, {@code <s>} and {@code </s>} included. */
    public int maxLength() {
        return maxLength;
    }

    /** The vocabulary (token ↔ id). */
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /**
     * {@code text} as the model's input: {@code <s>}, the first {@code maxLength − 2} content ids, {@code </s>},
     * then {@code <pad>} up to {@code maxLength}; the mask is 1 up to and including {@code </s>}.
     */
    public PromptTokens encode(String text) {
        int[] content = contentIds(text);
        int kept = Math.min(content.length, maxLength - 2);
        int[] ids = new int[maxLength];
        int[] mask = new int[maxLength];
        Arrays.fill(ids, pad);
        ids[0] = bos;
        System.arraycopy(content, 0, ids, 1, kept);
        ids[kept + 1] = eos;
        Arrays.fill(mask, 0, kept + 2, 1);
        return new PromptTokens(ids, mask);
    }

    /**
     * The unconditional input of super-conditioning: the empty string, not normalized, so {@code <s> </s>}
     * and padding ({@code [0, 2, 1, …]}, mask {@code [1, 1, 0, …]}).
     */
    public PromptTokens unconditional() {
        return encode("");
    }

    /** Every content id of {@code text}, without special tokens and not truncated. */
    public int[] contentIds(String text) {
        IntStream.Builder ids = IntStream.builder();
        Matcher pieces = PRE_TOKENIZER.matcher(text);
        while (pieces.find()) {
            for (String symbol : merges.split(ByteLevel.encode(pieces.group()))) {
                ids.add(idOf(symbol));
            }
        }
        return ids.build().toArray();
    }

    private int idOf(String symbol) {
        OptionalInt id = vocabulary.find(symbol);
        if (id.isPresent()) {
            return id.getAsInt();
        }
        return unk.orElseThrow(() -> new JdalleException(vocabulary.source() + " has neither the symbol \""
                + symbol + "\" nor " + UNK));
    }
}
