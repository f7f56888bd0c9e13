package io.github.jdalle.dallebart.text;

import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.text.HtmlUnescape;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dalle-mini's {@code TextNormalizer} ({@code src/dalle_mini/model/text.py}, spec §4.2): the 27 steps that turn
 * a prompt into the lower-case ASCII text the model was trained on, always starting with a space
 * ({@code "A photo of a CAT!"} → {@code " a photo of a cat"}).
 *
 * <p>Everything after step 1 is exact: HTML unescaping as Python's {@code html.unescape} (twice), emoji names as
 * the emoji package 2.2.0, transliteration as Unidecode 1.3.6, the hashtag splitter as upstream's, and the
 * regular expressions ported from Python {@code re} on ASCII text ({@code \s} also matches U+001C–U+001F,
 * {@code \Z} is {@code \z}). Three of them, {@code <person>(…)+}, {@code (\s*"+\s*)+} and
 * {@code (\s*,+\s*)+}, are written as loops with the same result, because Java's regex engine recurses once
 * per repetition of a group and would overflow its stack on long prompts; every step is linear in the length.
 *
 * <p>Step 1, {@code ftfy.fix_text}, has no Java twin. This class does the part of it that is certain:
 * ANSI terminal escapes removed, full-width forms (U+FF01–U+FFEF) to their NFKC form and the ideographic space
 * to a space, curly quotes U+2018–U+201B to {@code '} and U+201C–U+201F to {@code "}, line breaks (CR LF, CR,
 * U+0085, U+2028, U+2029) to LF, lone surrogates to U+FFFD, ftfy's unwanted control characters removed, then NFC.
 * (Its Latin ligature fix is left out: Unidecode expands those ligatures the same way.) What may differ from
 * ftfy: mojibake repair ({@code "cafÃ©"} stays as it is where ftfy writes {@code "café"}), C1 controls read as
 * Windows-1252, and ftfy's own HTML unescaping of text without {@code <} (which also decodes upper-cased
 * names such as {@code &EACUTE;}) — so a prompt escaped three or more times keeps one level here.
 *
 * <p>Step 6 replaces a lone {@code <person>} by "a person", "someone" or "somebody", drawn with upstream's
 * weights from the caller's {@link RandomStream}; nothing else is random. Thread-safe.
 */
public final class TextNormalizer {
    /** The word list asset of a DalleBart weight file. */
    public static final String WORD_FREQUENCY_ASSET = "enwiki-words-frequency.txt";

    /** Python's {@code \s} on ASCII text: Java's {@code \s} and U+001C–U+001F, inside a character class. */
    private static final String SPACE_CHARS = "\\s\\x1c-\\x1f";
    private static final String SPACE = "[" + SPACE_CHARS + "]";

    private static final Pattern TERMINAL_ESCAPE = Pattern.compile("\u001B\\[((?:\\d|;)*)([a-zA-Z])");
    /** ftfy 6's {@code remove_control_chars}: C0 controls but tab, LF, FF, CR; DEL; deprecated Arabic format controls; BOM; U+FFF9–U+FFFC. */
    private static final Pattern FTFY_CONTROL_CHARS = Pattern.compile(
            "[\\x00-\\x08\\x0b\\x0e-\\x1f\\x7f\\u206a-\\u206f\\ufeff\\ufff9-\\ufffc]");
    private static final Pattern WIDE_FORM = Pattern.compile("[\\uff01-\\uffef]");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("[\\u2018-\\u201b]");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\\u201c-\\u201f]");
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|[\r\u0085\u2028\u2029]");

    private static final String PERSON = "<person>";
    /** What may stand between two {@code <person>} tokens that become "people": {@code [,\s]*(and)*[,\s]*}. */
    private static final Pattern PERSON_GAP = Pattern.compile("[," + SPACE_CHARS + "]*+(?:and)*+[," + SPACE_CHARS + "]*+");
    private static final String[] PERSON_WORDS = {"a person", "someone", "somebody"};
    /** Upstream's weights 282265, 121194, 12219 ("based on wiki word occurrence"), accumulated. */
    private static final double[] PERSON_CUMULATIVE_WEIGHTS = {282265, 282265 + 121194, 282265 + 121194 + 12219};

    private static final Pattern WIKI_REFERENCE_FIRST = Pattern.compile("\\A" + SPACE + "*\\[\\d+\\]");
    private static final Pattern WIKI_REFERENCE_LAST = Pattern.compile("\\[\\d+\\]" + SPACE + "*\\z");
    private static final Pattern HTML_TAG = Pattern.compile("<[^<]+?>");
    private static final Pattern URL = Pattern.compile("http[^" + SPACE_CHARS + "]+");
    private static final Pattern COMMA_IN_NUMBER = Pattern.compile("(\\d),(\\d{3})");
    private static final Pattern DOT_IN_WORD = Pattern.compile("(\\w)\\.(\\w)");
    private static final Pattern CONTRACTION_QUOTE = Pattern.compile("'(?=([stdm]|(ll)|(re)|(ve)|(ll))\\b)");
    private static final Pattern SLASH_IN_DATE = Pattern.compile("(\\d)/(\\d)");
    private static final Pattern HYPHEN_IN_WORD = Pattern.compile("(\\w)-(\\w)");
    private static final Pattern SPACED_CHARS = Pattern.compile("([%&/$*])");
    private static final Pattern HASHTAG = Pattern.compile("#(\\w+)");
    private static final Pattern IGNORED_CHARS = Pattern.compile("[_#\\\\]");
    private static final Pattern QUOTE_CHARS = Pattern.compile("['\"`]");
    private static final Pattern PUNCTUATION = Pattern.compile("[()\\[\\].,|:;?!=+~\\-/{}]");
    private static final Pattern REPEATED_NON_DIGIT = Pattern.compile("(\\D)(\\1{3,})");
    private static final Pattern SPACES = Pattern.compile(SPACE + "+");

    /** Placeholders that carry protected characters through the punctuation steps (upstream's "xtokx"). */
    private static final String DOT_TOKEN = "xtokxdotxtokx";
    private static final String QUOTE_TOKEN = "xtokxquotextokx";
    private static final String SLASH_TOKEN = "xtokxslashxtokx";

    private final HashtagProcessor hashtags;

    /** A normalizer that splits hashtags with {@code hashtags} (use {@link HashtagProcessor#none()} without a word list). */
    public TextNormalizer(HashtagProcessor hashtags) {
        this.hashtags = hashtags;
    }

    /**
     * The normalizer of a DalleBart weight file: hashtags split with its {@value #WORD_FREQUENCY_ASSET} asset,
     * or left as they are when the file has none.
     */
    public static TextNormalizer fromAssets(WeightSource source) {
        return new TextNormalizer(source.asset(WORD_FREQUENCY_ASSET)
                .map(bytes -> HashtagProcessor.fromWordFrequencies(bytes, source.description() + " " + WORD_FREQUENCY_ASSET))
                .orElseGet(HashtagProcessor::none));
    }

    /** The hashtag splitter in use. */
    public HashtagProcessor hashtags() {
        return hashtags;
    }

    /** {@link #normalize(String, RandomStream)} with the fixed stream of seed 0. */
    public String normalize(String prompt) {
        return normalize(prompt, RandomStream.forImage(0, 0));
    }

    /**
     * The normalized prompt, always starting with a space (the empty prompt gives {@code " "}).
     *
     * @param people draws the words for a lone {@code <person>}; untouched when the prompt has none
     */
    public String normalize(String prompt, RandomStream people) {
        String t = fixText(prompt);                                         // 1
        t = HtmlUnescape.unescape(HtmlUnescape.unescape(t));                // 2
        t = EmojiShortcodes.demojize(t);                                    // 3
        t = AsciiTransliteration.transliterate(t);                          // 4
        t = t.toLowerCase(Locale.ROOT);                                     // 5
        t = replacePersonTokens(t, people);                                 // 6
        t = WIKI_REFERENCE_FIRST.matcher(t).replaceAll("");                 // 7
        t = WIKI_REFERENCE_LAST.matcher(t).replaceAll("");
        t = HTML_TAG.matcher(t).replaceAll(" ");                            // 8
        t = URL.matcher(t).replaceAll("");                                  // 9
        t = COMMA_IN_NUMBER.matcher(t).replaceAll("$1$2");                  // 10, twice: 1,000,000 needs two passes
        t = COMMA_IN_NUMBER.matcher(t).replaceAll("$1$2");
        t = DOT_IN_WORD.matcher(t).replaceAll("$1" + DOT_TOKEN + "$2");     // 11
        t = CONTRACTION_QUOTE.matcher(t).replaceAll(QUOTE_TOKEN);           // 12
        t = SLASH_IN_DATE.matcher(t).replaceAll("$1" + SLASH_TOKEN + "$2"); // 13
        t = HYPHEN_IN_WORD.matcher(t).replaceAll("$1 $2");                  // 14
        t = SPACED_CHARS.matcher(t).replaceAll(" $1 ");
        t = HASHTAG.matcher(t).replaceAll(hashtag -> Matcher.quoteReplacement(hashtags.split(hashtag.group(1)))); // 15
        t = IGNORED_CHARS.matcher(t).replaceAll(" ");                       // 16
        t = QUOTE_CHARS.matcher(t).replaceAll(" \" ");                      // 17
        t = PUNCTUATION.matcher(t).replaceAll(",");                         // 18
        t = t.replace(DOT_TOKEN, ".");                                      // 19
        t = t.replace(QUOTE_TOKEN, "'");                                    // 20
        t = t.replace(SLASH_TOKEN, "/");                                    // 21
        t = REPEATED_NON_DIGIT.matcher(t).replaceAll("$1");                 // 22
        t = mergeRuns(t, '"', " \" ");                                      // 23
        t = mergeRuns(t, ',', ", ");                                        // 24
        t = SPACES.matcher(t).replaceAll(" ");                              // 25
        t = removeFirstLastCommas(t);                                       // 26
        return " " + t;                                                     // 27
    }

    /** Step 1, the certain part of {@code ftfy.fix_text} in ftfy's order (see the class comment). */
    private static String fixText(String text) {
        String t = TERMINAL_ESCAPE.matcher(text).replaceAll("");
        t = WIDE_FORM.matcher(t).replaceAll(wide -> Matcher.quoteReplacement(Normalizer.normalize(wide.group(), Normalizer.Form.NFKC)));
        t = t.replace('\u3000', ' ');
        t = SINGLE_QUOTES.matcher(t).replaceAll("'");
        t = DOUBLE_QUOTES.matcher(t).replaceAll("\"");
        t = LINE_BREAK.matcher(t).replaceAll("\n");
        t = replaceLoneSurrogates(t);
        t = FTFY_CONTROL_CHARS.matcher(t).replaceAll("");
        return Normalizer.normalize(t, Normalizer.Form.NFC);
    }

    private static String replaceLoneSurrogates(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(codePoint ->
                out.appendCodePoint(Character.isSurrogate((char) codePoint) && codePoint <= 0xFFFF ? 0xFFFD : codePoint));
        return out.toString();
    }

    /**
     * Step 6: {@code re.sub(r"<person>([,\s]*(and)*[,\s]*<person>)+", " people ", t)}, then each remaining
     * {@code <person>}, left to right, becomes a randomly drawn person word.
     */
    private static String replacePersonTokens(String text, RandomStream people) {
        int start = text.indexOf(PERSON);
        if (start < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        while (start >= 0) {
            int end = start + PERSON.length();
            int tokens = 1;
            int next = text.indexOf(PERSON, end);
            while (next >= 0 && PERSON_GAP.matcher(text).region(end, next).matches()) {
                end = next + PERSON.length();
                tokens++;
                next = text.indexOf(PERSON, end);
            }
            out.append(text, copied, start).append(tokens > 1 ? " people " : " " + drawPerson(people) + " ");
            copied = end;
            start = next;
        }
        return out.append(text, copied, text.length()).toString();
    }

    /** Python's {@code random.choices(words, weights)}: bisect the accumulated weights at {@code random() · total}. */
    private static String drawPerson(RandomStream people) {
        double target = people.nextDouble() * PERSON_CUMULATIVE_WEIGHTS[PERSON_CUMULATIVE_WEIGHTS.length - 1];
        int index = 0;
        while (target >= PERSON_CUMULATIVE_WEIGHTS[index]) {
            index++;
        }
        return PERSON_WORDS[index];
    }

    /**
     * Steps 23 and 24, {@code re.sub(r"(\s*M+\s*)+", replacement, t)} for the mark M: every maximal run of
     * whitespace and M that contains an M is replaced (a run without M is left alone).
     */
    private static String mergeRuns(String text, char mark, String replacement) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            int end = i;
            boolean hasMark = false;
            while (end < text.length() && (text.charAt(end) == mark || isPythonSpace(text.charAt(end)))) {
                hasMark |= text.charAt(end) == mark;
                end++;
            }
            if (end == i) {
                out.append(text.charAt(i++));
            } else {
                out.append(hasMark ? replacement : text.substring(i, end));
                i = end;
            }
        }
        return out.toString();
    }

    /** Python's {@code \s} on ASCII: space, \t \n \v \f \r and U+001C–U+001F. */
    private static boolean isPythonSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
    }

    /** Step 26: strip; drop one trailing comma, then one leading comma; strip again. */
    private static String removeFirstLastCommas(String text) {
        String t = stripPythonSpace(text);
        if (t.endsWith(",")) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.startsWith(",")) {
            t = t.substring(1);
        }
        return stripPythonSpace(t);
    }

    private static String stripPythonSpace(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isPythonSpace(text.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }
}
