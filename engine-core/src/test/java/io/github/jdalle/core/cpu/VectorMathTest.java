package io.github.jdalle.core.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import jdk.incubator.vector.FloatVector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The float vector functions against double-precision references over their whole range: dense grids,
 * random magnitudes and the special values. The double reference for exact GELU is {@link Erf#erfc}, itself
 * checked here against 20-digit values from mpmath.
 */
class VectorMathTest {
    @Test
    void erfReferenceMatchesHighPrecisionValues() {
        // erf and erfc at these points to 20 digits, from mpmath with 30 digits of working precision
        double[][] erf = {{0.1, 0.1124629160182848984}, {0.5, 0.52049987781304653768}, {1.0, 0.84270079294971486934},
            {1.9999, 0.99532019790702939169}, {2.0, 0.99532226501895273416}, {3.0, 0.99997790950300141456},
            {-0.7, -0.67780119383741844228}, {5.0, 0.99999999999846254021}};
        double[][] erfc = {{0.5, 0.47950012218695346232}, {1.5, 0.033894853524689272933}, {2.5, 0.00040695201744495893956},
            {3.0, 0.000022090496998585441373}, {4.0, 1.5417257900280018852e-8}, {6.0, 2.1519736712498913117e-17},
            {10.0, 2.088487583762544757e-45}, {20.0, 5.3958656116079009289e-176}, {-1.0, 1.8427007929497148693}};
        for (double[] point : erf) {
            assertEquals(point[1], Erf.erf(point[0]), 1e-15 * Math.abs(point[1]), "erf(" + point[0] + ")");
        }
        for (double[] point : erfc) {
            assertEquals(point[1], Erf.erfc(point[0]), 1e-13 * Math.abs(point[1]), "erfc(" + point[0] + ")");
        }
    }

    @Test
    void expIsAccurateOverItsRange() {
        UnaryOperator<float[]> exp = values -> {
            VectorMath.exponentiate(values, values.length, 0f);
            return values;
        };
        checkAgainst(exp, Math::exp, grid(-110, 90, 2e-3), 2.5e-7, "exp");
        checkAgainst(exp, Math::exp, randomValues(100), 2.5e-7, "exp");
        float[] special = {Float.NEGATIVE_INFINITY, -1e30f, 89f, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f};
        float[] result = apply(exp, special);
        assertEquals(0f, result[0]);
        assertEquals(0f, result[1]);
        assertEquals(Float.POSITIVE_INFINITY, result[2]);
        assertEquals(Float.POSITIVE_INFINITY, result[3]);
        assertTrue(Float.isNaN(result[4]));
        assertEquals(1f, result[5]);
        assertEquals(1f, result[6]);
    }

    @Test
    void geluIsAccurateToOnePartInAMillion() {
        DoubleUnaryOperator gelu = x -> 0.5 * x * Erf.erfc(-x / Math.sqrt(2));
        UnaryOperator<float[]> vectorGelu = values -> {
            VectorMath.gelu(values, values.length);
            return values;
        };
        checkAgainst(vectorGelu, gelu, grid(-20, 20, 1e-3), 1e-6, "gelu");
        checkAgainst(vectorGelu, gelu, randomValues(1000), 1e-6, "gelu");
        float[] result = apply(vectorGelu, new float[] {Float.POSITIVE_INFINITY, 3e38f, -3e38f, Float.NaN, 0f});
        assertEquals(Float.POSITIVE_INFINITY, result[0]);
        assertEquals(3e38f, result[1]);
        assertEquals(-0f, result[2]);
        assertTrue(Float.isNaN(result[3]));
        assertEquals(0f, result[4]);
    }

    @Test
    void sigmoidProductsAreAccurate() {
        DoubleUnaryOperator quickGelu = x -> x / (1 + Math.exp(-1.702 * x));
        DoubleUnaryOperator swish = x -> x / (1 + Math.exp(-x));
        float quickHigh = 1.702f;
        float quickLow = (float) (1.702 - quickHigh);
        UnaryOperator<float[]> quick = values -> {
            VectorMath.timesSigmoid(values, values.length, quickHigh, quickLow);
            return values;
        };
        UnaryOperator<float[]> silu = values -> {
            VectorMath.timesSigmoid(values, values.length, 1f, 0f);
            return values;
        };
        for (float[] values : new float[][] {grid(-60, 60, 1e-3), randomValues(100)}) {
            checkAgainst(quick, quickGelu, values, 1e-6, "quick gelu");
            checkAgainst(silu, swish, values, 1e-6, "swish");
        }
    }

    @Test
    void lanesSumInFullAndMaxIsExact() {
        float[] lanes = new float[VectorMath.LANES];
        float expected = 0;
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = i * i - 3;
            expected += lanes[i];
        }
        FloatVector v = FloatVector.fromArray(VectorMath.FLOATS, lanes, 0);
        assertEquals(expected, VectorMath.sumLanes(v));
        assertEquals((lanes.length - 1) * (lanes.length - 1) - 3, VectorMath.maxLanes(v));
    }

    /**
     * |f(x) − reference(x)| ≤ relative·|reference(x)| + 1e-40: relative accuracy down to about 1e-34, and
     * near-subnormal results (which the kernels may flush to zero) within 1e-40; infinity where the
     * reference overflows a float.
     */
    private static void checkAgainst(UnaryOperator<float[]> f, DoubleUnaryOperator reference, float[] x,
                                     double relative, String what) {
        float[] y = apply(f, x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double expected = reference.applyAsDouble(x[i]);
            double error = Math.abs(y[i] - expected);
            boolean ok = Math.abs(expected) > Float.MAX_VALUE ? y[i] == (float) expected
                    : error <= relative * Math.abs(expected) + 1e-40;
            if (!ok) {
                fail(what + "(" + x[i] + ") = " + y[i] + ", expected " + expected);
            }
            if (Math.abs(expected) >= 1e-30 && Math.abs(expected) <= Float.MAX_VALUE) {
                worst = Math.max(worst, error / Math.abs(expected));
            }
        }
        assertTrue(worst <= relative, what + " worst relative error " + worst);
    }

    /** f applied to a copy of x in an array with room for a whole number of vectors, as the kernels require. */
    private static float[] apply(UnaryOperator<float[]> f, float[] x) {
        int lanes = VectorMath.LANES;
        float[] padded = Arrays.copyOf(x, (x.length + lanes - 1) / lanes * lanes);
        return Arrays.copyOf(f.apply(padded), x.length);
    }

    private static float[] grid(double from, double to, double step) {
        int count = (int) ((to - from) / step) + 1;
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (from + i * step);
        }
        return values;
    }

    /** Random floats of magnitudes from 1e-30 up to {@code limit}, both signs. */
    private static float[] randomValues(double limit) {
        SplittableRandom random = new SplittableRandom(99);
        float[] values = new float[100_000];
        for (int i = 0; i < values.length; i++) {
            double magnitude = Math.exp(random.nextDouble(Math.log(1e-30), Math.log(limit)));
            values[i] = (float) (random.nextBoolean() ? magnitude : -magnitude);
        }
        return values;
    }
}
