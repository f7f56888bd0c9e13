package io.github.jdalle;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.weights.JdwFile;
import io.github.jdalle.dallebart.CancellationToken;
import io.github.jdalle.dallebart.GenerationCancelledException;
import io.github.jdalle.vqgan.VqganDecoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library API on the golden checkpoints: progress, previews, no ranking without CLIP, cancellation, bad slots. */
class DalleMiniTest {
    private static final String PROMPT = "an armchair in the shape of an avocado";

    @Test
    void reportsEveryStepAndPreviewsThePartialGridWithoutClip() {
        List<Integer> steps = new ArrayList<>();
        List<Integer> previewSteps = new ArrayList<>();
        List<List<RgbImage>> previews = new ArrayList<>();
        Generation generation;
        try (DalleMini dalle = DalleMini.builder().dallebart(GoldenModels.dallebart()).vqgan(GoldenModels.vqgan())
                .threads(1).build()) {
            generation = dalle.generate(GenerationRequest.of(PROMPT).withImages(1).withSeed(3).withFirstImage(5).withPreviewEvery(100),
                    new GenerationListener() {
                        @Override
                        public void onStep(int step, int totalSteps) {
                            steps.add(step);
                        }

                        @Override
                        public void onPreview(int step, int totalSteps, List<RgbImage> pictures) {
                            previewSteps.add(step);
                            previews.add(pictures);
                        }
                    }, new CancellationToken());
            assertFalse(dalle.ranks());
        }
        assertEquals(256, steps.size());
        assertEquals(255, steps.getLast());
        assertEquals(List.of(99, 199), previewSteps);

        PromptPictures prompt = generation.prompts().getFirst();
        assertArrayEquals(new int[] {0}, prompt.order(), "without CLIP the order is the generation order");
        assertTrue(prompt.pictures().stream().allMatch(p -> p.score().isEmpty()), "no scores without CLIP");
        assertEquals(List.of(5L), prompt.pictures().stream().map(Picture::number).toList());
        assertEquals(256, generation.timings().decodeSteps());

        // the preview after step 199 is the documented fill of the first 200 final tokens
        try (JdwFile file = JdwFile.open(GoldenModels.vqgan()); Backend backend = Backends.cpu(1)) {
            VqganDecoder decoder = VqganDecoder.load(file, backend);
            int[] known = Arrays.copyOf(prompt.pictures().getFirst().tokens(), 200);
            RgbImage expected = decoder.decode(PreviewGrid.fill(known, 256, 16));
            assertEquals(1, previews.get(1).size());
            assertArrayEquals(expected.pixels(), previews.get(1).getFirst().pixels(), "preview after step 199");
        }
        RgbImage picture = prompt.pictures().getFirst().image();
        assertEquals(32, picture.height());
        assertEquals(32, picture.width());
        assertEquals(32, prompt.pictures().getFirst().toBufferedImage().getWidth());
    }

    @Test
    void cancellationStopsBeforeTheNextStepWithTheTokensSoFar() {
        CancellationToken cancellation = new CancellationToken();
        try (DalleMini dalle = DalleMini.builder().dallebart(GoldenModels.dallebart()).threads(1).build()) {
            GenerationCancelledException e = assertThrows(GenerationCancelledException.class,
                    () -> dalle.tokens(GenerationRequest.of(PROMPT).withImages(2), new GenerationListener() {
                        @Override
                        public void onStep(int step, int totalSteps) {
                            if (step == 5) {
                                cancellation.cancel();
                            }
                        }
                    }, cancellation));
            assertEquals(6, e.completedSteps());
            assertEquals(2, e.partialTokens().length);
            assertEquals(6, e.partialTokens()[0].length);
        }
    }

    @Test
    void aModelOfTheWrongKindInASlotIsAClearError() {
        JdalleException e = assertThrows(JdalleException.class,
                () -> DalleMini.builder().dallebart(GoldenModels.vqgan()).vqgan(GoldenModels.vqgan()).build());
        assertTrue(e.getMessage().contains("holds a VQGAN model, not the DalleBart model"), e.getMessage());
        e = assertThrows(JdalleException.class,
                () -> DalleMini.builder().dallebart(GoldenModels.dallebart()).vqgan(GoldenModels.clip()).build());
        assertTrue(e.getMessage().contains("holds a CLIP model, not the VQGAN model"), e.getMessage());
    }

    @Test
    void picturesNeedAVqganModel() {
        try (DalleMini dalle = DalleMini.builder().dallebart(GoldenModels.dallebart()).threads(1).build()) {
            JdalleException e = assertThrows(JdalleException.class, () -> dalle.generate(GenerationRequest.of(PROMPT)));
            assertTrue(e.getMessage().contains("no VQGAN model"), e.getMessage());
            dalle.close();
        }
    }

    @Test
    void requestsRejectBadValues() {
        assertThrows(JdalleException.class, () -> GenerationRequest.of());
        assertThrows(JdalleException.class, () -> GenerationRequest.of(PROMPT).withImages(0));
        assertThrows(JdalleException.class, () -> GenerationRequest.of(PROMPT).withTopP(1.5f));
        assertThrows(JdalleException.class, () -> GenerationRequest.of(PROMPT).withTemperature(0));
        assertThrows(JdalleException.class, () -> GenerationRequest.of(PROMPT).withFirstImage(-1));
        assertThrows(JdalleException.class, () -> GenerationRequest.of(PROMPT).withPreviewEvery(-1));
        assertEquals(7, GenerationRequest.of("a", "b").withImages(3).withFirstImage(2).imageNumber(1, 2));
    }
}
