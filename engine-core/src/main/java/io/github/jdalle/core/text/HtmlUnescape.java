package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code html.unescape} (CPython 3.11): every named reference of the HTML5 table (2,231 names,
 * with and without {@code ;}) and every numeric reference, with Python's replacement rules. Applying it
 * once turns {@code &amp;amp;} into {@code &amp;}; it is not recursive.
 *
 * <ul>
 *   <li>A reference is {@code &} followed by {@code #digits}, {@code #x hex-digits} or up to 32 characters that
 *       are none of tab, newline, form feed, space, {@code < & # ;}, each optionally ending in {@code ;}.</li>
 *   <li>Numeric: code points 0x80–0x9F and 0, 13 are read as Windows-1252 (0 → U+FFFD, 13 → CR); surrogates
 *       and values above 0x10FFFF give U+FFFD; the C0/C1 controls (except tab, LF, FF, CR), the noncharacters
 *       U+FDD0–U+FDEF and U+xFFFE/U+xFFFF give nothing.</li>
 *   <li>Named: an exact match wins; otherwise the longest prefix of at least two characters that is a
 *       name is replaced and the rest kept ({@code &notit;} → {@code ¬it;}); otherwise the text is left as it was.</li>
 * </ul>
 * The entity table is the resource {@code html5-entities.tsv}, generated from Python's
 * {@code html.entities.html5} and loaded on first use.
 */
public final class HtmlUnescape {
    private static final Pattern REFERENCE =
            Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    /** The numeric references that HTML5 reads as Windows-1252 (0x80–0x9F) or fixes (0, CR); from Python's table. */
    private static final String WINDOWS_1252_80_TO_9F =
            "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f"
            + "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";
    private static final int MAX_CODE_POINT = 0x10FFFF;

    private HtmlUnescape() {
    }

    /** {@code text} with every character reference replaced, exactly as Python's {@code html.unescape}. */
    public static String unescape(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher matcher = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (matcher.find()) {
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement(matcher.group(1))));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private static String replacement(String reference) {
        if (reference.charAt(0) != '#') {
            return named(reference);
        }
        boolean hex = reference.charAt(1) == 'x' || reference.charAt(1) == 'X';
        String digits = reference.substring(hex ? 2 : 1, reference.length() - (reference.endsWith(";") ? 1 : 0));
        return numeric(parseCodePoint(digits, hex ? 16 : 10));
    }

    /** The value of the digits, or {@code MAX_CODE_POINT + 1} for anything larger (Python's ints do not overflow). */
    private static int parseCodePoint(String digits, int radix) {
        int start = 0;
        while (start < digits.length() - 1 && digits.charAt(start) == '0') {
            start++;
        }
        String significant = digits.substring(start);
        if (significant.length() > 7) {
            return MAX_CODE_POINT + 1;
        }
        return (int) Math.min(Long.parseLong(significant, radix), MAX_CODE_POINT + 1);
    }

    private static String numeric(int codePoint) {
        if (codePoint == 0) {
            return "\uFFFD";
        }
        if (codePoint == '\r') {
            return "\r";
        }
        if (codePoint >= 0x80 && codePoint <= 0x9F) {
            return String.valueOf(WINDOWS_1252_80_TO_9F.charAt(codePoint - 0x80));
        }
        if ((codePoint >= 0xD800 && codePoint <= 0xDFFF) || codePoint > MAX_CODE_POINT) {
            return "\uFFFD";
        }
        if (isDroppedCodePoint(codePoint)) {
            return "";
        }
        return Character.toString(codePoint);
    }

    /** Python's {@code html._invalid_codepoints}: controls, and the noncharacters. */
    private static boolean isDroppedCodePoint(int codePoint) {
        return (codePoint >= 0x1 && codePoint <= 0x8)
                || codePoint == 0xB
                || (codePoint >= 0xE && codePoint <= 0x1F)
                || (codePoint >= 0x7F && codePoint <= 0x9F)
                || (codePoint >= 0xFDD0 && codePoint <= 0xFDEF)
                || (codePoint & 0xFFFE) == 0xFFFE;
    }

    private static String named(String reference) {
        Map<String, String> entities = Entities.TABLE;
        String exact = entities.get(reference);
        if (exact != null) {
            return exact;
        }
        for (int length = reference.length() - 1; length > 1; length--) {
            String prefix = entities.get(reference.substring(0, length));
            if (prefix != null) {
                return prefix + reference.substring(length);
            }
        }
        return "&" + reference;
    }

    /** The HTML5 entity table, read from the resource on first use (holder idiom: thread-safe, lazy). */
    private static final class Entities {
        static final Map<String, String> TABLE = load();

        private static Map<String, String> load() {
            String resource = "html5-entities.tsv";
            try (InputStream in = HtmlUnescape.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new JdalleException("missing class path resource " + resource);
                }
                Map<String, String> table = new HashMap<>(4096);
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    int tab = line.indexOf('\t');
                    StringBuilder value = new StringBuilder(2);
                    for (String hex : line.substring(tab + 1).split(" ")) {
                        value.appendCodePoint(Integer.parseInt(hex, 16));
                    }
                    table.put(line.substring(0, tab), value.toString());
                }
                return Map.copyOf(table);
            } catch (IOException | IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new JdalleException("cannot read the HTML entity table " + resource + ": " + e.getMessage(), e);
            }
        }
    }
}
