package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteLevelTest {

    @Test
    void tableIsGpt2BytesToUnicode() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            seen.add(ByteLevel.charOf(b));
        }
        assertEquals(256, seen.size());
        // the shifted bytes of openai/gpt-2 bytes_to_unicode, in order: 0x00 → U+0100, space → U+0120, 0xAD → U+0143
        assertEquals('\u0100', ByteLevel.charOf(0));
        assertEquals('\u0120', ByteLevel.charOf(' '));
        assertEquals('\u0121', ByteLevel.charOf(0x7F));
        assertEquals('\u0143', ByteLevel.charOf(0xAD));
        assertEquals('a', ByteLevel.charOf('a'));
        assertEquals('\u00FF', ByteLevel.charOf(0xFF));
    }

    @Test
    void encodesUtf8BytesAndDecodesBack() {
        String text = " caf\u00E9 \u65E5\u672C \uD83D\uDC36\n";
        String symbols = ByteLevel.encode(text);
        assertEquals(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, symbols.length());
        assertEquals('\u0120', symbols.charAt(0));
        assertEquals(text, ByteLevel.decodeToString(symbols));
        assertArrayEquals(new byte[]{(byte) 0xC3, (byte) 0xA9}, ByteLevel.decode(ByteLevel.encode("\u00E9")));
    }

    @Test
    void rejectsForeignCharacters() {
        assertThrows(JdalleException.class, () -> ByteLevel.decode("ab\u4E00"));
    }
}
