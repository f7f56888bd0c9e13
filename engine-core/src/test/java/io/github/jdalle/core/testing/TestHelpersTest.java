package io.github.jdalle.core.testing;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link RandomWeights} draws reproducible values of the documented scale; {@link TestBackends} finds backends. */
class TestHelpersTest {
    private static final Map<String, int[]> SHAPES = Map.of(
            "a/kernel", new int[] {300, 1000},          // 300 000 values: several chunks
            "a/scale", new int[] {70},
            "a/bias", new int[] {70});

    @Test
    void sameSeedGivesTheSameValuesInAnyLookupOrder() {
        try (RandomWeights first = RandomWeights.of(SHAPES, null, 5);
             RandomWeights second = RandomWeights.of(SHAPES, null, 5)) {
            float[] bias = second.tensor("a/bias").toFloatArray();
            assertArrayEquals(first.tensor("a/kernel").toFloatArray(), second.tensor("a/kernel").toFloatArray());
            assertArrayEquals(first.tensor("a/bias").toFloatArray(), bias);
        }
    }

    @Test
    void valuesHaveTheDocumentedScale() {
        try (RandomWeights weights = RandomWeights.of(SHAPES, null, 5, DType.BF16)) {
            assertEquals(DType.BF16, weights.tensor("a/kernel").dtype());
            float[] kernel = weights.tensor("a/kernel").toFloatArray();
            double sumOfSquares = 0;
            for (float value : kernel) {
                sumOfSquares += value * value;
            }
            double deviation = Math.sqrt(sumOfSquares / kernel.length);
            assertEquals(1 / Math.sqrt(300), deviation, 0.01 / Math.sqrt(300), "kernel N(0, 1/fanIn)");
            for (float value : weights.tensor("a/scale").toFloatArray()) {
                assertTrue(value >= 0.89f && value <= 1.11f, "scale 1 ± 0.1: " + value);
            }
        }
    }

    @Test
    void cpuIsAlwaysAvailableAndUnknownNamesAreNot() {
        assertNull(TestBackends.unavailableReason("cpu"));
        assertNotNull(TestBackends.unavailableReason("no-such-backend"));
        try (Backend backend = TestBackends.create(1)) {
            assertTrue(backend.name().startsWith(TestBackends.name()), backend.name());
        }
    }
}
