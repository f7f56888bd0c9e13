package io.github.jdalle.dallebart.text;

import net.fellbaum.jemoji.Emoji;
import net.fellbaum.jemoji.EmojiManager;

import java.util.HashMap;
import java.util.Map;

/**
 * Step 3 of the normalizer: Python {@code emoji.demojize(text)} of emoji 2.2.0, which writes each emoji as its
 * English name between colons ({@code ❤} → {@code :red_heart:}, {@code 🇺🇸} → {@code :United_States:}).
 *
 * <p>The names are jemoji's CLDR descriptions, restricted to Emoji 15.0 and older (the data emoji 2.2.0 ships:
 * the same 4,733 sequences, fully-, minimally- and unqualified and components), written the way the emoji
 * package writes them: the "flag: " prefix dropped, colons, commas and double quotes (straight and curly)
 * removed, spaces as underscores, and the two names CLDR has written differently since ("Türkiye" was
 * "Turkey", "Mx Claus" was "mx claus") put back. Checked against emoji 2.2.0 on all 4,733 sequences and on
 * 20,000 random strings of sequences, fragments, joiners and selectors: identical.
 *
 * <p>The scan is the emoji package's: at each code point follow the longest path through the trie of
 * sequences; if it ends on a sequence, replace it, otherwise keep that one code point and go on. It does not
 * fall back to a shorter sequence. Variation selectors U+FE0E/U+FE0F that are not part of a sequence are dropped.
 */
final class EmojiShortcodes {
    /** emoji 2.2.0 is built from Emoji 15.0; later emoji are unknown to it and left alone. */
    private static final double EMOJI_VERSION = 15.0;
    /** CLDR names that emoji 2.2.0 still writes the older way. */
    private static final Map<String, String> OLDER_NAMES = Map.of("Türkiye", "Turkey", "Mx Claus", "mx claus");

    private EmojiShortcodes() {
    }

    /** {@code text} with every emoji replaced by {@code :its_name:}. */
    static String demojize(String text) {
        int[] codePoints = text.codePoints().toArray();
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < codePoints.length) {
            Node node = Trie.ROOT.children.get(codePoints[i]);
            int end = i + 1;
            while (node != null && end < codePoints.length && node.children.containsKey(codePoints[end])) {
                node = node.children.get(codePoints[end]);
                end++;
            }
            if (node != null && node.shortcode != null) {
                out.append(node.shortcode);
                i = end;
                continue;
            }
            if (codePoints[i] != 0xFE0E && codePoints[i] != 0xFE0F) {
                out.appendCodePoint(codePoints[i]);
            }
            i++;
        }
        return out.toString();
    }

    /** The emoji package's name for a CLDR description. */
    static String shortcode(String description) {
        String name = description.startsWith("flag: ") ? description.substring("flag: ".length()) : description;
        for (Map.Entry<String, String> older : OLDER_NAMES.entrySet()) {
            name = name.replace(older.getKey(), older.getValue());
        }
        name = name.replaceAll("[:,\"\u201C\u201D]", "").replace(' ', '_');
        return ":" + name + ":";
    }

    private static final class Node {
        final Map<Integer, Node> children = new HashMap<>();
        String shortcode;
    }

    /** The trie of emoji sequences (by code point), built from jemoji on first use. */
    private static final class Trie {
        static final Node ROOT = build();

        private static Node build() {
            Node root = new Node();
            for (Emoji emoji : EmojiManager.getAllEmojis()) {
                if (emoji.getVersion() > EMOJI_VERSION) {
                    continue;
                }
                Node node = root;
                for (int codePoint : emoji.getEmoji().codePoints().toArray()) {
                    node = node.children.computeIfAbsent(codePoint, key -> new Node());
                }
                node.shortcode = shortcode(emoji.getDescription());
            }
            return root;
        }
    }
}
