package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.testing.Npy;
import io.github.jdalle.core.testing.TestBackends;
import io.github.jdalle.core.testing.TransformedWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoder against the golden decode cases (taming-transformers' Decoder on the golden checkpoint). */
@ExtendWith(TestBackends.class)
class VqganDecoderTest {
    private static Backend backend;
    private static WeightSource checkpoint;
    private static VqganDecoder decoder;

    @BeforeAll
    static void load() {
        backend = TestBackends.create();
        checkpoint = GoldenVqgan.checkpoint();
        decoder = VqganDecoder.load(checkpoint, backend);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
        backend.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"random", "blocks", "batch2"})
    void decodesGoldenTokens(String caseName) {
        Npy tokens = GoldenVqgan.npy("decode", caseName, "tokens.npy");
        float[] expectedFloats = GoldenVqgan.npy("decode", caseName, "image_float.npy").floats();
        byte[] expectedBytes = GoldenVqgan.npy("decode", caseName, "image_uint8.npy").bytes();
        JsonNode tolerance = GoldenVqgan.fileEntry(caseName, "image_float.npy").get("tolerance");
        int images = tokens.shape()[0];
        for (int image = 0; image < images; image++) {
            int[] grid = GoldenVqgan.row(tokens.ints(), images, image);
            float[] expected = GoldenVqgan.row(expectedFloats, images, image);
            float[] actual = decoder.decodeToFloats(grid, 16, 16);
            assertClose(expected, actual, tolerance.get("atol").asDouble(), tolerance.get("rtol").asDouble(),
                    caseName + " image " + image + " floats");
            RgbImage picture = Images.fromUnitFloats(32, 32, actual);  // what decode(grid) returns
            GoldenVqgan.assertBytesMatch(expected, GoldenVqgan.row(expectedBytes, images, image), picture.pixels(),
                    caseName + " image " + image);
        }
    }

    @Test
    void sixteenBitWeightsDecodeInF32() {
        // The golden checkpoint rounded to BF16 (8 significant bits): activations stay F32, so the picture moves
        // only by what the weight rounding does, far less than the 0..1 range, and nothing overflows.
        int[] grid = GoldenVqgan.npy("decode", "random", "tokens.npy").ints();
        float[] golden = GoldenVqgan.npy("decode", "random", "image_float.npy").floats();
        try (WeightSource bf16 = TransformedWeights.narrowed(checkpoint, DType.BF16)) {
            assertClose(golden, VqganDecoder.load(bf16, backend).decodeToFloats(grid, 16, 16), 0.05, 0.05,
                    "BF16 weights against the F32 reference");
        }
    }

    @Test
    void groupNormVectorsMayBeStoredAsFourDimensional() {
        // vqgan-jax before 11b53a48 stored GroupNorm scale/bias as (1, 1, 1, C).
        int[] grid = GoldenVqgan.npy("decode", "blocks", "tokens.npy").ints();
        JsonNode tolerance = GoldenVqgan.fileEntry("blocks", "image_float.npy").get("tolerance");
        try (WeightSource reshaped = new TransformedWeights(checkpoint, "with (1, 1, 1, C) norms", (path, t) ->
                path.contains("norm") && t.rank() == 1 ? t.reshape(1, 1, 1, t.dim(0)) : t)) {
            assertClose(GoldenVqgan.npy("decode", "blocks", "image_float.npy").floats(),
                    VqganDecoder.load(reshaped, backend).decodeToFloats(grid, 16, 16),
                    tolerance.get("atol").asDouble(), tolerance.get("rtol").asDouble(), "(1, 1, 1, C) GroupNorm vectors");
        }
    }

    @Test
    void nonSquareGridDecodes() {
        int[] square = GoldenVqgan.npy("decode", "random", "tokens.npy").ints();
        int[] wide = Arrays.copyOf(square, 4 * 12);
        float[] rgb = decoder.decodeToFloats(wide, 4, 12);
        assertEquals(8 * 24 * 3, rgb.length);
        RgbImage picture = decoder.decode(wide, 4, 12);
        assertEquals(8, picture.height());
        assertEquals(24, picture.width());
    }

    @Test
    void tokenOutsideTheCodebookIsNamed() {
        int[] grid = GoldenVqgan.npy("decode", "random", "tokens.npy").ints();
        grid[37] = 512;
        var e = assertThrows(JdalleException.class, () -> decoder.decode(grid));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains("position 37")
                && e.getMessage().contains("row 2, column 5"), e.getMessage());
        grid[37] = -1;
        assertThrows(JdalleException.class, () -> decoder.decode(grid));
    }

    @Test
    void gridThatDoesNotFitIsRejected() {
        assertThrows(JdalleException.class, () -> decoder.decode(new int[255]));
        assertThrows(JdalleException.class, () -> decoder.decode(new int[256], 8, 16));
    }

    @Test
    void concurrentDecodesAgree() throws Exception {
        // one shared decoder, two threads: each call has its own workspace, so both match the reference
        int[] tokens = GoldenVqgan.npy("decode", "batch2", "tokens.npy").ints();
        float[] golden = GoldenVqgan.npy("decode", "batch2", "image_float.npy").floats();
        JsonNode tolerance = GoldenVqgan.fileEntry("batch2", "image_float.npy").get("tolerance");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int image = 0; image < 2; image++) {
                int[] grid = GoldenVqgan.row(tokens, 2, image);
                results.add(pool.submit(() -> decoder.decodeToFloats(grid, 16, 16)));
            }
            for (int image = 0; image < 2; image++) {
                assertClose(GoldenVqgan.row(golden, 2, image), results.get(image).get(), tolerance.get("atol").asDouble(),
                        tolerance.get("rtol").asDouble(), "concurrent decode of image " + image);
            }
        } finally {
            pool.shutdown();
        }
    }
}
