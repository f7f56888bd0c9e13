package io.github.jdalle.clip;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.testing.Npy;
import io.github.jdalle.core.testing.TestBackends;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The golden CLIP checkpoint against OpenAI's {@code clip/model.py} outputs ({@code golden/clip/batch}). */
@ExtendWith(TestBackends.class)
class ClipModelTest {
    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-4;

    private static FlaxMsgpack source;
    private static Backend backend;
    private static ClipModel model;

    @BeforeAll
    static void load() {
        source = FlaxMsgpack.open(Golden.file("clip/model"));
        backend = TestBackends.create(2);
        model = ClipModel.load(source, backend);
    }

    @AfterAll
    static void close() {
        backend.close();
        source.close();
    }

    private static ClipTokens goldenTokens() {
        Npy ids = Golden.npy("clip/batch/input_ids.npy");
        Npy mask = Golden.npy("clip/batch/attention_mask.npy");
        return new ClipTokens(Tensor.ofInts(ids.ints(), ids.shape()), Tensor.ofInts(mask.ints(), mask.shape()));
    }

    /** The golden NCHW pixel values transposed to the NHWC the vision tower reads. */
    private static Tensor goldenPixelsNhwc() {
        Npy pixels = Golden.npy("clip/batch/pixel_values.npy");
        int[] s = pixels.shape();
        int images = s[0];
        int size = s[2];
        float[] nchw = pixels.floats();
        float[] nhwc = new float[nchw.length];
        for (int b = 0; b < images; b++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < size * size; p++) {
                    nhwc[(b * size * size + p) * 3 + c] = nchw[(b * 3 + c) * size * size + p];
                }
            }
        }
        return Tensor.ofFloats(nhwc, images, size, size, 3);
    }

    private static List<RgbImage> goldenImages() {
        Npy sources = Golden.npy("clip/batch/source_images_uint8.npy");
        int[] s = sources.shape();
        int imageBytes = s[1] * s[2] * s[3];
        List<RgbImage> images = new ArrayList<>();
        for (int i = 0; i < s[0]; i++) {
            images.add(new RgbImage(s[1], s[2], Arrays.copyOfRange(sources.bytes(), i * imageBytes, (i + 1) * imageBytes)));
        }
        return images;
    }

    private static float[] flat(float[][] rows) {
        int width = rows[0].length;
        float[] out = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * width, width);
        }
        return out;
    }

    private static float[][] transpose(float[][] m) {
        float[][] t = new float[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }

    @Test
    void configComesFromTheCheckpoint() {
        ClipConfig config = model.config();
        assertEquals(32, config.vision().imageSize());
        assertEquals(17, config.vision().tokenCount());
        assertEquals(64, config.text().hiddenSize());
        assertEquals(2, config.text().eosTokenId());
        assertEquals(32, config.projectionDim());
        assertEquals(100f, model.logitScale(), 1e-3f);
    }

    @Test
    void textTower() {
        float[][] features = model.textFeatures(goldenTokens());
        assertClose(Golden.npy("clip/batch/text_features.npy").floats(), flat(features), ATOL, RTOL, "text_features");
        assertClose(Golden.npy("clip/batch/text_embeds.npy").floats(), flat(Similarity.l2Normalize(features)),
                ATOL, RTOL, "text_embeds");
    }

    @Test
    void visionTower() {
        float[][] features = model.imageFeatures(goldenPixelsNhwc());
        assertClose(Golden.npy("clip/batch/image_features.npy").floats(), flat(features), ATOL, RTOL,
                "image_features");
        assertClose(Golden.npy("clip/batch/image_embeds.npy").floats(), flat(Similarity.l2Normalize(features)),
                ATOL, RTOL, "image_embeds");
    }

    @Test
    void logitsFromOwnPreprocessingAndTokenizer() throws IOException {
        List<String> texts = new ArrayList<>();
        for (JsonNode text : new ObjectMapper().readTree(Files.readString(Golden.file("clip/manifest.json"))).path("texts")) {
            texts.add(text.path("text").asString());
        }
        ClipTokens tokens = model.tokenizer().encode(texts);
        assertArrayEquals(Golden.npy("clip/batch/input_ids.npy").ints(), tokens.inputIds().toIntArray(), "input_ids");
        assertArrayEquals(Golden.npy("clip/batch/attention_mask.npy").ints(), tokens.attentionMask().toIntArray(),
                "attention_mask");
        Tensor pixels = model.imageProcessor().pixelValues(goldenImages(), ClipImageProcessor.Layout.NHWC);
        float[][] logitsPerImage = model.logitsPerImage(model.imageFeatures(pixels), model.textFeatures(tokens));
        assertClose(Golden.npy("clip/batch/logits_per_image.npy").floats(), flat(logitsPerImage), ATOL, RTOL,
                "logits_per_image");
        assertClose(Golden.npy("clip/batch/logits_per_text.npy").floats(), flat(transpose(logitsPerImage)), ATOL,
                RTOL, "logits_per_text");
    }

    @Test
    void rankFollowsTheLogits() {
        float[] logits = Golden.npy("clip/batch/logits_per_text.npy").floats();
        int images = Golden.npy("clip/batch/logits_per_image.npy").shape()[0];
        String prompt = "an armchair in the shape of an avocado";
        Ranking ranking = model.rank(prompt, goldenImages());
        float[] expected = Arrays.copyOfRange(logits, images, 2 * images);   // text 1 of the batch
        assertClose(expected, ranking.scores(), ATOL, RTOL, "scores for '" + prompt + "'");
        int[] order = ranking.order();
        for (int i = 1; i < order.length; i++) {
            assertTrue(expected[order[i - 1]] >= expected[order[i]], "order " + Arrays.toString(order));
        }
    }

    @Test
    void sharedBetweenThreads() throws Exception {
        List<RgbImage> images = goldenImages();
        Ranking alone = model.rank("a photo of a cat", images);
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            List<Future<Ranking>> rankings = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                rankings.add(pool.submit(() -> model.rank("a photo of a cat", images)));
            }
            for (Future<Ranking> ranking : rankings) {
                assertArrayEquals(alone.scores(), ranking.get().scores());
            }
        }
    }

    @Test
    void wrongPixelShapeIsNamed() {
        JdalleException e = assertThrows(JdalleException.class,
                () -> model.imageFeatures(Tensor.ofFloats(new float[224 * 224 * 3], 1, 224, 224, 3)));
        assertTrue(e.getMessage().contains("pixel values"), e.getMessage());
    }
}
