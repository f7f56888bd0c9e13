package io.github.jdalle.vqgan;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.testing.Npy;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The golden VQGAN checkpoint and cases ({@code testdata/golden/vqgan}, see its manifest.json). */
final class GoldenVqgan {
    /** A value this close to a multiple of 1/255 may truncate either way (manifest: fragile_definition). */
    static final double FRAGILE_MARGIN = 2e-3;

    private GoldenVqgan() {
    }

    static WeightSource checkpoint() {
        return FlaxMsgpack.open(Golden.file("vqgan/model"));
    }

    static JsonNode manifest() {
        try {
            return JsonMapper.shared().readTree(Files.readString(Golden.file("vqgan/manifest.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest entry of {@code file} within case {@code caseName}. */
    static JsonNode fileEntry(String caseName, String file) {
        for (JsonNode entry : manifest().get("cases")) {
            if (entry.get("name").asString().equals(caseName)) {
                for (JsonNode f : entry.get("files")) {
                    if (f.get("file").asString().endsWith("/" + file)) {
                        return f;
                    }
                }
            }
        }
        throw new IllegalArgumentException("no " + file + " in golden case " + caseName);
    }

    static Npy npy(String kind, String caseName, String file) {
        return Golden.npy("vqgan/" + kind + "/" + caseName + "/" + file);
    }

    /** Image {@code index} of an NHWC uint8 batch file as an RgbImage. */
    static RgbImage image(Npy batch, int index) {
        int[] shape = batch.shape();
        int bytes = shape[1] * shape[2] * shape[3];
        byte[] all = batch.bytes();
        return new RgbImage(shape[1], shape[2], Arrays.copyOfRange(all, index * bytes, (index + 1) * bytes));
    }

    /** Row {@code index} of an (N, …) array flattened to its trailing dimensions. */
    static float[] row(float[] values, int rows, int index) {
        int width = values.length / rows;
        return Arrays.copyOfRange(values, index * width, (index + 1) * width);
    }

    static int[] row(int[] values, int rows, int index) {
        int width = values.length / rows;
        return Arrays.copyOfRange(values, index * width, (index + 1) * width);
    }

    static byte[] row(byte[] values, int rows, int index) {
        int width = values.length / rows;
        return Arrays.copyOfRange(values, index * width, (index + 1) * width);
    }

    /** Bytes equal, except off by one where the golden float sits on a truncation edge (manifest fragile values). */
    static void assertBytesMatch(float[] goldenFloats, byte[] goldenBytes, byte[] actual, String what) {
        int differing = 0;
        for (int i = 0; i < actual.length; i++) {
            int expected = Byte.toUnsignedInt(goldenBytes[i]);
            int got = Byte.toUnsignedInt(actual[i]);
            if (expected != got) {
                double scaled = Math.clamp(goldenFloats[i], 0f, 1f) * 255.0;
                boolean fragile = Math.abs(scaled - Math.rint(scaled)) < FRAGILE_MARGIN;
                assertTrue(fragile && Math.abs(expected - got) == 1,
                        what + ": byte " + i + " is " + got + ", golden " + expected + " (x·255 = " + scaled + ")");
                differing++;
            }
        }
        assertTrue(differing <= actual.length / 1000, what + ": " + differing + " bytes differ (more than 0.1%)");
    }
}
