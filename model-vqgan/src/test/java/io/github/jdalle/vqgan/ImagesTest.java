package io.github.jdalle.vqgan;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagesTest {
    @TempDir
    Path folder;

    @Test
    void pngRoundTripKeepsPixelsAndText() throws IOException {
        RgbImage image = randomImage(24, 40, 1);
        Map<String, String> text = new LinkedHashMap<>();
        text.put("prompt", "an armchair in the shape of an avocado");
        text.put("Comment", "seed 7, top-k 50, condition scale 10.0; café");
        text.put("prompt_original", "牛油果形状的扶手椅 🥑");
        Path file = folder.resolve("picture.png");
        Images.writePng(image, text, file);

        RgbImage back = Images.read(file);
        assertEquals(image.height(), back.height());
        assertEquals(image.width(), back.width());
        assertArrayEquals(image.pixels(), back.pixels());
        assertEquals(text, Images.readText(file));
        // the writer leaves nothing but the picture behind
        try (var files = Files.list(folder)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void writingReplacesAnExistingFile() throws IOException {
        Path file = folder.resolve("picture.png");
        Files.writeString(file, "old content");
        RgbImage image = randomImage(8, 8, 2);
        Images.writePng(image, Map.of(), file);
        assertArrayEquals(image.pixels(), Images.read(file).pixels());
        assertEquals(Map.of(), Images.readText(file));
    }

    @Test
    void invalidKeywordIsRejectedBeforeAnythingIsWritten() {
        Path file = folder.resolve("picture.png");
        assertThrows(JdalleException.class, () -> Images.writePng(randomImage(4, 4, 3), Map.of(" prompt", "x"), file));
        assertThrows(JdalleException.class, () -> Images.writePng(randomImage(4, 4, 3), Map.of("", "x"), file));
        assertTrue(Files.notExists(file));
    }

    @Test
    void readsJpegAsRgb() throws IOException {
        // a flat colour survives JPEG compression up to a few levels
        byte[] pixels = new byte[16 * 16 * 3];
        for (int i = 0; i < pixels.length; i += 3) {
            pixels[i] = (byte) 200;
            pixels[i + 1] = (byte) 120;
            pixels[i + 2] = (byte) 40;
        }
        Path file = folder.resolve("flat.jpg");
        ImageIO.write(Images.toBufferedImage(new RgbImage(16, 16, pixels)), "jpg", file.toFile());
        RgbImage back = Images.read(file);
        assertEquals(16, back.height());
        for (int channel = 0; channel < 3; channel++) {
            assertTrue(Math.abs(back.sample(7, 9, channel) - Byte.toUnsignedInt(pixels[channel])) <= 3,
                    "channel " + channel + " is " + back.sample(7, 9, channel));
        }
    }

    @Test
    void greyPngKeepsItsLevels() throws IOException {
        var grey = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        int[] levels = {0, 17, 64, 128, 200, 255};
        grey.getRaster().setPixels(0, 0, 3, 2, levels);
        Path file = folder.resolve("grey.png");
        ImageIO.write(grey, "png", file.toFile());
        RgbImage back = Images.read(file);
        for (int i = 0; i < levels.length; i++) {
            for (int channel = 0; channel < 3; channel++) {
                assertEquals(levels[i], back.sample(i / 3, i % 3, channel));
            }
        }
    }

    @Test
    void unreadableFileIsNamed() throws IOException {
        Path file = folder.resolve("notes.png");
        Files.writeString(file, "not a picture");
        var e = assertThrows(JdalleException.class, () -> Images.read(file));
        assertTrue(e.getMessage().contains("notes.png"), e.getMessage());
        assertThrows(JdalleException.class, () -> Images.read(folder.resolve("missing.png")));
    }

    private static RgbImage randomImage(int height, int width, long seed) {
        byte[] pixels = new byte[height * width * 3];
        new SplittableRandom(seed).nextBytes(pixels);
        return new RgbImage(height, width, pixels);
    }
}
