package io.github.jdalle.core.cpu;

/**
 * The error function in double precision (relative error below 1e-13), the reference for the vectorized
 * float kernels: the Maclaurin series where it converges quickly, the continued fraction of erfc in the tails.
 */
public final class Erf {
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    private Erf() {
    }

    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a < 4) {
            double term = a;
            double sum = a;
            double square = a * a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -square / n;
                sum += term / (2 * n + 1);
            }
            return Math.copySign(TWO_OVER_SQRT_PI * sum, x);
        }
        return Math.copySign(1 - erfcTail(a), x);
    }

    /** erfc(a) for a ≥ 4 from the continued fraction {@code 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …))))}. */
    private static double erfcTail(double a) {
        double fraction = a;
        for (int n = 60; n >= 1; n--) {
            fraction = a + (n / 2.0) / fraction;
        }
        return Math.exp(-a * a) / (Math.sqrt(Math.PI) * fraction);
    }
}
