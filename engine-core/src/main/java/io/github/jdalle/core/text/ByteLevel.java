package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's byte → unicode table ({@code bytes_to_unicode} in openai/gpt-2 {@code encoder.py}, also used by CLIP and
 * HF byte-level BPE): every byte becomes one printable character so that BPE vocabularies never contain
 * whitespace or control characters. The printable bytes {@code ! … ~}, {@code ¡ … ¬}, {@code ® … ÿ} map to
 * themselves; the other 68 bytes, in increasing order, map to U+0100, U+0101, … (so space → {@code Ġ} U+0120).
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Inverse of {@link #BYTE_TO_CHAR}, indexed by char; -1 where no byte maps there. */
    private static final int[] CHAR_TO_BYTE = new int[256 + 68];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : 256 + shifted++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The character that stands for {@code unsignedByte} (0–255). */
    public static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /**
     * The UTF-8 bytes of {@code text}, one table character per byte. A lone surrogate, which UTF-8 cannot
     * encode, becomes {@code ?} (Java's replacement), as no tokenizer vocabulary can hold it anyway.
     */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /** The bytes that {@code symbols} stand for; throws when a character is not in the table. */
    public static byte[] decode(CharSequence symbols) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(symbols.length());
        for (int i = 0; i < symbols.length(); i++) {
            char c = symbols.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                throw new JdalleException("character U+" + Integer.toHexString(c).toUpperCase()
                        + " at " + i + " is not a byte-level symbol");
            }
            bytes.write(b);
        }
        return bytes.toByteArray();
    }

    /** {@link #decode} read as UTF-8 (invalid sequences become U+FFFD, as HF's {@code errors="replace"}). */
    public static String decodeToString(CharSequence symbols) {
        return new String(decode(symbols), StandardCharsets.UTF_8);
    }
}
