package io.github.jdalle.core.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;

/** Expected values are the outputs of CPython 3.11.2 {@code html.unescape} on the same inputs. */
class HtmlUnescapeTest {

    private static final String[][] PYTHON_CASES = {
            // input, html.unescape(input), html.unescape(html.unescape(input))
            {"&amp;amp;", "&amp;", "&"},
            {"&amp;", "&", "&"},
            {"&#x110000;", "\uFFFD", "\uFFFD"},
            {"&notit;", "\u00ACit;", "\u00ACit;"},
            {"&notin;", "\u2209", "\u2209"},
            {"&not", "\u00AC", "\u00AC"},
            {"&#0;", "\uFFFD", "\uFFFD"},
            {"&#13;", "\r", "\r"},
            {"&#128;", "\u20AC", "\u20AC"},
            {"&#x81;", "\u0081", "\u0081"},
            {"&#x9F;", "\u0178", "\u0178"},
            {"&#xD800;", "\uFFFD", "\uFFFD"},
            {"&#55296;", "\uFFFD", "\uFFFD"},
            {"&#1;", "", ""},
            {"&#11;", "", ""},
            {"&#x7f;", "", ""},
            {"&#xFDD0;", "", ""},
            {"&#xFFFE;", "", ""},
            {"&#x10FFFF;", "", ""},
            {"&#x1F600;", "\uD83D\uDE00", "\uD83D\uDE00"},
            {"&#65", "A", "A"},
            {"&#x41", "A", "A"},
            {"&#00000000000065;", "A", "A"},
            {"&#99999999999999999999;", "\uFFFD", "\uFFFD"},
            {"&#x;", "&#x;", "&#x;"},
            {"&#;", "&#;", "&#;"},
            {"&#abc;", "&#abc;", "&#abc;"},
            {"&;", "&;", "&;"},
            {"& amp;", "& amp;", "& amp;"},
            {"&lt&gt", "<>", "<>"},
            {"&LT;", "<", "<"},
            {"&Lt;", "\u226A", "\u226A"},
            {"&nbsp;x", "\u00A0x", "\u00A0x"},
            {"&NotNestedGreaterGreater;", "\u2AA2\u0338", "\u2AA2\u0338"},
            {"&acE;", "\u223E\u0333", "\u223E\u0333"},
            {"&ampx", "&x", "&x"},
            {"&xyz;", "&xyz;", "&xyz;"},
            {"&&amp;", "&&", "&&"},
            {"&am;", "&am;", "&am;"},
            {"&#9;", "\t", "\t"},
            {"&#10;", "\n", "\n"},
            {"&#32;", " ", " "},
            {"&quot;&#39;&apos;", "\"''", "\"''"},
            {"a&b", "a&b", "a&b"},
            {"&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;"},
            {"&amp\u00E9;", "&\u00E9;", "&\u00E9;"},
            {"&\u00E9;", "&\u00E9;", "&\u00E9;"},
    };

    @Test
    void matchesPythonOnceAndTwice() {
        for (String[] testCase : PYTHON_CASES) {
            String once = HtmlUnescape.unescape(testCase[0]);
            assertEquals(testCase[1], once, "once: " + testCase[0]);
            assertEquals(testCase[2], HtmlUnescape.unescape(once), "twice: " + testCase[0]);
        }
    }

    @Test
    void textWithoutAmpersandIsReturnedAsIs() {
        String text = "no references here";
        assertSame(text, HtmlUnescape.unescape(text));
    }

    @Test
    void longInputIsLinear() {
        String text = "&amp;&#1234567890123;&notit;&".repeat(20_000);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> HtmlUnescape.unescape(text));
        assertEquals("&\uFFFD\u00ACit;&".repeat(20_000), HtmlUnescape.unescape(text));
    }
}
