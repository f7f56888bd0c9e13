package io.github.jdalle.core.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stream depends on (seed, image index) alone and gives uniform numbers in [0, 1). */
class RandomStreamTest {
    @Test
    void theSameSeedAndImageGiveTheSameSequenceInAnyOrder() {
        long[] first = draw(RandomStream.forImage(42, 3), 100);
        // other streams created and used in between change nothing
        RandomStream other = RandomStream.forImage(42, 2);
        other.nextLong();
        long[] again = draw(RandomStream.forImage(42, 3), 100);
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], again[i], "draw " + i);
        }
    }

    @Test
    void imagesAndSeedsGetDifferentStreams() {
        long[] base = draw(RandomStream.forImage(42, 0), 4);
        long[][] others = {draw(RandomStream.forImage(42, 1), 4), draw(RandomStream.forImage(43, 0), 4),
            draw(RandomStream.forImage(0, 42), 4)};
        for (long[] other : others) {
            assertNotEquals(base[0], other[0]);
            assertNotEquals(base[3], other[3]);
        }
    }

    @Test
    void doublesAreUniformInTheUnitInterval() {
        RandomStream stream = RandomStream.forImage(7, 0);
        int count = 200_000;
        double sum = 0;
        double squares = 0;
        int[] bins = new int[10];
        for (int i = 0; i < count; i++) {
            double u = stream.nextDouble();
            assertTrue(u >= 0 && u < 1, "uniform " + u);
            sum += u;
            squares += u * u;
            bins[(int) (u * 10)]++;
        }
        double mean = sum / count;
        double variance = squares / count - mean * mean;
        // five standard errors
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / count));
        assertEquals(1.0 / 12, variance, 5 * Math.sqrt(1.0 / 180 / count));
        for (int bin : bins) {
            assertEquals(count / 10.0, bin, 5 * Math.sqrt(count * 0.1 * 0.9));
        }
    }

    private static long[] draw(RandomStream stream, int count) {
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            values[i] = stream.nextLong();
        }
        return values;
    }
}
