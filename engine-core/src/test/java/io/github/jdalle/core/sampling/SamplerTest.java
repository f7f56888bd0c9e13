package io.github.jdalle.core.sampling;

import io.github.jdalle.core.JdalleException;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sampler against a naive reference that sorts the whole row (the sampler keeps a bounded heap), and its
 * behaviour: greedy is the first argmax, top-k and top-p restrict the candidates, temperature sharpens,
 * guidance mixes the two rows, the vocabulary limit is respected.
 */
class SamplerTest {
    private final SplittableRandom random = new SplittableRandom(11);

    @Test
    void argmaxTakesTheFirstLargestAndIgnoresNaN() {
        assertEquals(1, Sampler.argmax(new float[] {1, 3, 3, 2}));
        assertEquals(3, Sampler.argmax(new float[] {Float.NaN, 2, Float.NaN, 5, 5}));
        assertEquals(0, Sampler.argmax(new float[] {-7}));
        assertEquals(2, Sampler.argmax(new float[] {Float.NEGATIVE_INFINITY, -1e30f, 0f}));
    }

    @Test
    void topIndicesOrderByValueThenIndex() {
        for (int trial = 0; trial < 200; trial++) {
            float[] row = tiedRow(1 + random.nextInt(300));
            int count = 1 + random.nextInt(row.length);
            assertArrayEquals(Arrays.copyOf(sortedOrder(row), count), Sampler.topIndices(row, count),
                    "top " + count + " of " + Arrays.toString(row));
        }
    }

    @Test
    void samplingMatchesTheSortingReference() {
        SamplingSettings[] settings = {
            SamplingSettings.DEFAULT, new SamplingSettings(1f, 0, 1f), new SamplingSettings(0.7f, 5, 1f),
            new SamplingSettings(1.3f, 0, 0.9f), new SamplingSettings(1f, 50, 0.5f), new SamplingSettings(2f, 3, 0.99f)};
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = trial % 3 == 0 ? tiedRow(1 + random.nextInt(500)) : gaussianRow(1 + random.nextInt(2000));
            SamplingSettings s = settings[trial % settings.length];
            int[] order = sortedOrder(logits);
            for (int draw = 0; draw < 20; draw++) {
                double uniform = random.nextDouble();
                assertEquals(referenceSample(logits, order, s, uniform), Sampler.sample(logits, s, uniform),
                        s + " at uniform " + uniform);
            }
        }
    }

    @Test
    void greedyIsTheFirstArgmax() {
        for (int trial = 0; trial < 100; trial++) {
            float[] logits = tiedRow(1 + random.nextInt(100));
            assertEquals(Sampler.argmax(logits), Sampler.sample(logits, SamplingSettings.greedy(), random.nextDouble()));
        }
    }

    @Test
    void topKAndTopPRestrictTheCandidates() {
        float[] logits = gaussianRow(1000);
        int[] order = sortedOrder(logits);
        SamplingSettings topFive = new SamplingSettings(1f, 5, 1f);
        boolean[] seen = new boolean[logits.length];
        for (int draw = 0; draw < 5000; draw++) {
            seen[Sampler.sample(logits, topFive, random.nextDouble())] = true;
        }
        for (int r = 0; r < order.length; r++) {
            assertEquals(r < 5, seen[order[r]], "rank " + r + " drawn under top-5");
        }
        // a nucleus smaller than the top token's mass keeps only the top token
        SamplingSettings tinyNucleus = new SamplingSettings(1f, 0, 1e-6f);
        for (int draw = 0; draw < 100; draw++) {
            assertEquals(order[0], Sampler.sample(logits, tinyNucleus, random.nextDouble()));
        }
    }

    @Test
    void lowTemperatureConcentratesOnTheLargestLogit() {
        float[] logits = gaussianRow(300);
        int best = Sampler.argmax(logits);
        SamplingSettings cold = new SamplingSettings(1e-4f, 0, 1f);
        SamplingSettings hot = new SamplingSettings(100f, 0, 1f);
        int coldHits = 0;
        int hotHits = 0;
        for (int draw = 0; draw < 2000; draw++) {
            double uniform = random.nextDouble();
            coldHits += Sampler.sample(logits, cold, uniform) == best ? 1 : 0;
            hotHits += Sampler.sample(logits, hot, uniform) == best ? 1 : 0;
        }
        assertEquals(2000, coldHits);
        assertTrue(hotHits < 100, "a hot sampler picks the best token only now and then, got " + hotHits);
    }

    @Test
    void guidanceMixesTheRowsAndTheVocabularyLimitHolds() {
        float[] cond = gaussianRow(64);
        float[] uncond = gaussianRow(64);
        float scale = 10f;
        float[] mixed = new float[40];
        for (int i = 0; i < mixed.length; i++) {
            mixed[i] = uncond[i] + scale * (cond[i] - uncond[i]);
        }
        cond[50] = 1e9f;  // beyond the limit: never sampled however large
        for (int draw = 0; draw < 200; draw++) {
            double uniform = random.nextDouble();
            int token = Sampler.sample(cond, uncond, scale, 40, SamplingSettings.DEFAULT, uniform);
            assertEquals(Sampler.sample(mixed, SamplingSettings.DEFAULT, uniform), token);
            assertTrue(token < 40);
        }
        assertThrows(JdalleException.class, () -> Sampler.sample(cond, uncond, scale, 65, SamplingSettings.DEFAULT, 0.5));
    }

    @Test
    void settingsRejectInvalidValues() {
        assertThrows(JdalleException.class, () -> new SamplingSettings(0f, 50, 1f));
        assertThrows(JdalleException.class, () -> new SamplingSettings(Float.NaN, 50, 1f));
        assertThrows(JdalleException.class, () -> new SamplingSettings(Float.POSITIVE_INFINITY, 50, 1f));
        assertThrows(JdalleException.class, () -> new SamplingSettings(1f, -1, 1f));
        assertThrows(JdalleException.class, () -> new SamplingSettings(1f, 50, 0f));
        assertThrows(JdalleException.class, () -> new SamplingSettings(1f, 50, 1.01f));
    }

    /**
     * The definition, written plainly: sort every id by (logit descending, id ascending); keep the top k; weigh
     * them by e^(logit/T − max/T); cut the nucleus (keep a token while the mass ranked above it is below p);
     * return the first token whose cumulative weight exceeds uniform × total. {@code order} is the sorted ids.
     */
    private static int referenceSample(float[] logits, int[] order, SamplingSettings settings, double uniform) {
        if (settings.topK() == 1) {
            return order[0];
        }
        int keep = settings.topK() == 0 ? logits.length : Math.min(settings.topK(), logits.length);
        float inverseTemperature = 1f / settings.temperature();
        float max = logits[order[0]] * inverseTemperature;
        double[] weight = new double[keep];
        double total = 0;
        for (int r = 0; r < keep; r++) {
            weight[r] = Math.exp(logits[order[r]] * inverseTemperature - max);
            total += weight[r];
        }
        int kept = keep;
        double above = 0;
        for (int r = 0; r < keep && settings.topP() < 1f; r++) {
            if (r > 0 && above / total >= settings.topP()) {
                kept = r;
                break;
            }
            above += weight[r];
        }
        double keptTotal = 0;
        for (int r = 0; r < kept; r++) {
            keptTotal += weight[r];
        }
        double cumulative = 0;
        for (int r = 0; r < kept; r++) {
            cumulative += weight[r];
            if (uniform * keptTotal < cumulative) {
                return order[r];
            }
        }
        return order[kept - 1];
    }

    private static int[] sortedOrder(float[] row) {
        return IntStream.range(0, row.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -row[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /** Logits from a few distinct values, so that ties are common. */
    private float[] tiedRow(int length) {
        float[] row = new float[length];
        for (int i = 0; i < length; i++) {
            row[i] = random.nextInt(7) - 3;
        }
        return row;
    }

    private float[] gaussianRow(int length) {
        float[] row = new float[length];
        for (int i = 0; i < length; i++) {
            row[i] = (float) (random.nextGaussian() * 3);
        }
        return row;
    }
}
