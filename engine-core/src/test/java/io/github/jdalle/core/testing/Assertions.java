package io.github.jdalle.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Closeness checks with the golden tolerance rule {@code |actual − expected| ≤ atol + rtol·|expected|}. */
public final class Assertions {
    private Assertions() {
    }

    public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int bad = 0;
        int firstBad = -1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(diff <= allowed)) {
                if (firstBad < 0) {
                    firstBad = i;
                }
                bad++;
            }
            worst = Math.max(worst, diff);
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.length + " elements outside atol " + atol + " rtol " + rtol
                    + "; first at " + firstBad + " (expected " + expected[firstBad] + ", got " + actual[firstBad]
                    + "), max |diff| " + worst);
        }
    }
}
