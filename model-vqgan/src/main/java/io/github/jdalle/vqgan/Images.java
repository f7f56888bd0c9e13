package io.github.jdalle.vqgan;

import io.github.jdalle.core.io.AtomicFiles;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import org.w3c.dom.Node;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pictures in and out of files and of the VQGAN's float range: PNG files with text chunks for metadata (the
 * prompt, seed and settings a picture was made with), PNG/JPEG reading into RGB bytes, and the DALL·E Mini
 * conventions that map decoder floats to bytes and bytes to encoder input.
 */
public final class Images {
    private static final String PNG_FORMAT = "javax_imageio_png_1.0";

    private Images() {
    }

    /** Decoder output (H, W, 3) floats to bytes: {@code (int) (clamp(x, 0, 1)·255)}, truncating as DALL·E Mini does. */
    public static RgbImage fromUnitFloats(int height, int width, float[] rgb) {
        byte[] pixels = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            pixels[i] = (byte) (int) (Math.clamp(rgb[i], 0f, 1f) * 255f);
        }
        return new RgbImage(height, width, pixels);
    }

    /** Encoder input: each byte / 255 in [0, 1], no mean or standard deviation (DALL·E Mini's encoding). */
    public static float[] toUnitFloats(RgbImage image) {
        byte[] pixels = image.pixels();
        float[] values = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            values[i] = Byte.toUnsignedInt(pixels[i]) / 255f;
        }
        return values;
    }

    /** The picture as an 8-bit BGR {@link BufferedImage}. */
    public static BufferedImage toBufferedImage(RgbImage image) {
        var buffered = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) buffered.getRaster().getDataBuffer()).getData();
        byte[] rgb = image.pixels();
        for (int i = 0; i < rgb.length; i += RgbImage.CHANNELS) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return buffered;
    }

    /**
     * The RGB bytes of any {@link BufferedImage}. Alpha is dropped (as Pillow's {@code convert("RGB")} does);
     * grey levels are copied to R, G and B unchanged rather than through Java2D's linear-grey colour conversion.
     */
    public static RgbImage fromBufferedImage(BufferedImage buffered) {
        int height = buffered.getHeight();
        int width = buffered.getWidth();
        byte[] pixels = new byte[height * width * RgbImage.CHANNELS];
        var colorModel = buffered.getColorModel();
        boolean grey = colorModel.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(colorModel instanceof IndexColorModel);
        Raster raster = buffered.getRaster();
        int greyMax = (1 << colorModel.getComponentSize(0)) - 1;
        int[] argb = new int[width];
        for (int y = 0; y < height; y++) {
            if (!grey) {
                buffered.getRGB(0, y, width, 1, argb, 0, width);
            }
            for (int x = 0; x < width; x++) {
                int at = (y * width + x) * RgbImage.CHANNELS;
                if (grey) {
                    byte level = (byte) ((raster.getSample(x, y, 0) * 255 + greyMax / 2) / greyMax);
                    pixels[at] = level;
                    pixels[at + 1] = level;
                    pixels[at + 2] = level;
                } else {
                    pixels[at] = (byte) (argb[x] >> 16);
                    pixels[at + 1] = (byte) (argb[x] >> 8);
                    pixels[at + 2] = (byte) argb[x];
                }
            }
        }
        return new RgbImage(height, width, pixels);
    }

    /** Reads a PNG or JPEG file (or any format javax.imageio knows) as RGB bytes. */
    public static RgbImage read(Path file) {
        try (ImageInputStream input = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(input, file);
            try {
                reader.setInput(input, true, true);
                return fromBufferedImage(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (JdalleException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO also signals corrupt data with unchecked exceptions (IllegalArgumentException, CMMException)
            throw new JdalleException(file + ": cannot read the picture: " + e.getMessage(), e);
        }
    }

    /** The text chunks (tEXt, zTXt, iTXt) of a PNG file by keyword, in file order; empty for other formats. */
    public static Map<String, String> readText(Path file) {
        try (ImageInputStream input = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(input, file);
            try {
                reader.setInput(input, true, false);
                IIOMetadata metadata = reader.getImageMetadata(0);
                Map<String, String> text = new LinkedHashMap<>();
                if (metadata == null || !metadata.getNativeMetadataFormatName().equals(PNG_FORMAT)) {
                    return text;
                }
                for (Node chunk = metadata.getAsTree(PNG_FORMAT).getFirstChild(); chunk != null; chunk = chunk.getNextSibling()) {
                    String valueAttribute = switch (chunk.getNodeName()) {
                        case "tEXt" -> "value";
                        case "zTXt", "iTXt" -> "text";
                        default -> null;
                    };
                    for (Node entry = chunk.getFirstChild(); valueAttribute != null && entry != null; entry = entry.getNextSibling()) {
                        var element = (IIOMetadataNode) entry;
                        text.put(element.getAttribute("keyword"), element.getAttribute(valueAttribute));
                    }
                }
                return text;
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new JdalleException(file + ": cannot read the picture's metadata: " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code image} as a PNG with one text chunk per entry of {@code text} (tEXt when the value is
     * Latin-1, else UTF-8 iTXt). The file appears complete or not at all: the PNG goes to a temporary file in the
     * same folder, which is then moved over {@code file}.
     */
    public static void writePng(RgbImage image, Map<String, String> text, Path file) {
        BufferedImage buffered = toBufferedImage(image);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        Path folder = file.toAbsolutePath().getParent();
        Path temporary = null;
        try {
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(buffered), null);
            metadata.mergeTree(PNG_FORMAT, textChunks(text));
            temporary = AtomicFiles.createSibling(file, ".tmp");
            try (OutputStream out = Files.newOutputStream(temporary);
                 var imageOut = new MemoryCacheImageOutputStream(out)) {
                writer.setOutput(imageOut);
                writer.write(null, new IIOImage(buffered, null, metadata), null);
            }
            moveIntoPlace(temporary, file);
        } catch (IOException e) {
            throw new JdalleException(file + ": cannot write the PNG: " + e.getMessage(), e);
        } finally {
            writer.dispose();
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // the temporary file is only left over when the folder itself is failing
                }
            }
        }
    }

    private static IIOMetadataNode textChunks(Map<String, String> text) {
        var root = new IIOMetadataNode(PNG_FORMAT);
        var latin1 = new IIOMetadataNode("tEXt");
        var unicode = new IIOMetadataNode("iTXt");
        text.forEach((keyword, value) -> {
            checkKeyword(keyword);
            if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(value)) {
                var entry = new IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", keyword);
                entry.setAttribute("value", value);
                latin1.appendChild(entry);
            } else {
                var entry = new IIOMetadataNode("iTXtEntry");
                entry.setAttribute("keyword", keyword);
                entry.setAttribute("compressionFlag", "FALSE");
                entry.setAttribute("compressionMethod", "0");
                entry.setAttribute("languageTag", "");
                entry.setAttribute("translatedKeyword", "");
                entry.setAttribute("text", value);
                unicode.appendChild(entry);
            }
        });
        if (latin1.hasChildNodes()) {
            root.appendChild(latin1);
        }
        if (unicode.hasChildNodes()) {
            root.appendChild(unicode);
        }
        return root;
    }

    /** PNG keywords: 1–79 printable Latin-1 characters without leading, trailing or double spaces. */
    private static void checkKeyword(String keyword) {
        boolean printable = keyword.chars().allMatch(c -> (c >= 32 && c <= 126) || (c >= 161 && c <= 255));
        if (keyword.isEmpty() || keyword.length() > 79 || !printable || keyword.startsWith(" ") || keyword.endsWith(" ")
                || keyword.contains("  ")) {
            throw new JdalleException("'" + keyword + "' is not a valid PNG text keyword (1-79 printable Latin-1 "
                    + "characters, no leading, trailing or double spaces)");
        }
    }

    private static ImageReader readerFor(ImageInputStream input, Path file) {
        if (input == null) {
            throw new JdalleException(file + ": cannot open the file");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(input);
        if (!readers.hasNext()) {
            throw new JdalleException(file + ": not a picture format javax.imageio can read (PNG, JPEG, BMP, GIF)");
        }
        return readers.next();
    }

    private static void moveIntoPlace(Path temporary, Path file) throws IOException {
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
