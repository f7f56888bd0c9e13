package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.testing.TestBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encoder and quantizer against the golden encode cases, and the decode → encode → decode chain. */
@ExtendWith(TestBackends.class)
class VqganEncoderTest {
    /**
     * A position may pick another code only where the two nearest codes are this close in squared distance:
     * far above the F32 error of a distance here (z within 1e-5 of float64), far below the smallest gap of the
     * gradient, shapes and noise cases (1.8e-3), which must therefore match exactly.
     */
    private static final double TIE_GAP = 1e-3;

    private static Backend backend;
    private static WeightSource checkpoint;
    private static VqganEncoder encoder;
    private static VqganDecoder decoder;

    @BeforeAll
    static void load() {
        backend = TestBackends.create();
        checkpoint = GoldenVqgan.checkpoint();
        encoder = VqganEncoder.load(checkpoint, backend);
        decoder = VqganDecoder.load(checkpoint, backend);
    }

    @AfterAll
    static void close() {
        checkpoint.close();
        backend.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gradient", "shapes", "noise", "decoded_random"})
    void encodesGoldenImages(String caseName) {
        RgbImage image = GoldenVqgan.image(GoldenVqgan.npy("encode", caseName, "image_uint8.npy"), 0);
        JsonNode tolerance = GoldenVqgan.fileEntry(caseName, "z.npy").get("tolerance");
        assertClose(GoldenVqgan.npy("encode", caseName, "z.npy").floats(), encoder.latents(image),
                tolerance.get("atol").asDouble(), tolerance.get("rtol").asDouble(), caseName + " z");
        assertTokensMatch(caseName, encoder.encode(image));
    }

    /** Tokens equal the golden ones, except where the golden nearest code is practically tied. */
    private static void assertTokensMatch(String caseName, int[] actual) {
        int[] expected = GoldenVqgan.npy("encode", caseName, "tokens.npy").ints();
        float[] gaps = GoldenVqgan.npy("encode", caseName, "distance_gap.npy").floats();
        assertEquals(expected.length, actual.length, caseName + " token count");
        for (int position = 0; position < expected.length; position++) {
            int p = position;
            assertTrue(expected[p] == actual[p] || gaps[p] < TIE_GAP, () -> caseName + ": token " + p + " is "
                    + actual[p] + ", golden " + expected[p] + " with distance gap " + gaps[p]);
        }
    }

    @Test
    void decodeEncodeDecodeChain() {
        // The golden checkpoint is random, not a trained autoencoder: encoding a decoded picture does not give
        // back its tokens, so "same tokens the second time" cannot hold here. The chain is checked against what
        // the references computed at each step instead: decode(random tokens) is the decoded_random picture,
        // and encoding our decoded picture gives decoded_random's tokens.
        int[] tokens = GoldenVqgan.npy("decode", "random", "tokens.npy").ints();
        RgbImage decoded = decoder.decode(tokens);
        GoldenVqgan.assertBytesMatch(GoldenVqgan.npy("decode", "random", "image_float.npy").floats(),
                GoldenVqgan.npy("encode", "decoded_random", "image_uint8.npy").bytes(), decoded.pixels(),
                "decode of the random tokens");
        int[] reencoded = encoder.encode(decoded);
        assertTokensMatch("decoded_random", reencoded);
        // decoding the re-encoded tokens again gives the same picture every time
        RgbImage again = decoder.decode(reencoded);
        assertEquals(decoded.height(), again.height());
        assertArrayEquals(again.pixels(), decoder.decode(reencoded).pixels());
    }

    @Test
    void nonSquarePictureGivesItsGrid() {
        RgbImage image = GoldenVqgan.image(GoldenVqgan.npy("encode", "noise", "image_uint8.npy"), 0);
        RgbImage wide = image.crop(0, 0, 8, 32);
        assertEquals(4 * 16, encoder.encode(wide).length);
        assertEquals(4 * 16 * 16, encoder.latents(wide).length);
    }

    @Test
    void pictureThatDoesNotSplitIntoPatchesIsRejected() {
        RgbImage image = GoldenVqgan.image(GoldenVqgan.npy("encode", "noise", "image_uint8.npy"), 0);
        var e = assertThrows(JdalleException.class, () -> encoder.encode(image.crop(0, 0, 31, 32)));
        assertTrue(e.getMessage().contains("31×32"), e.getMessage());
    }
}
