package io.github.jdalle.core.cpu;

/**
 * The error function and its complement in double precision, the reference for the vectorized float
 * kernels: the Maclaurin series below 2, where it converges quickly without cancellation, and the continued
 * fraction of erfc from 2 on. Both keep a relative error below 1e-13 (checked against 30-digit values).
 */
public final class Erf {
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    /** Below this the series is used, at and above it the continued fraction. */
    private static final double TAIL = 2;

    private Erf() {
    }

    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        return Math.copySign(a < TAIL ? series(a) : 1 - erfcTail(a), x);
    }

    /** 1 − erf(x), with its own relative accuracy where it is tiny (large x). */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        if (a < TAIL) {
            return 1 - Math.copySign(series(a), x);
        }
        return x > 0 ? erfcTail(a) : 2 - erfcTail(a);
    }

    private static double series(double a) {
        double term = a;
        double sum = a;
        double square = a * a;
        for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
            term *= -square / n;
            sum += term / (2 * n + 1);
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /** erfc(a) for a ≥ 2 from the continued fraction {@code 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …))))}. */
    private static double erfcTail(double a) {
        double fraction = a;
        for (int n = 60; n >= 1; n--) {
            fraction = a + (n / 2.0) / fraction;
        }
        return Math.exp(-a * a) / (Math.sqrt(Math.PI) * fraction);
    }
}
