package io.github.jdalle.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float transcendental functions on vectors: exp, the normal CDF behind exact GELU, and the sigmoid behind
 * quick GELU and swish. Each is accurate to a few float ulps over its whole range (tested against double
 * precision in {@code VectorMathTest}); none branches on lane values.
 */
final class VectorMath {
    static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    static final int LANES = Widening.LANES;

    private static final float LOG2_E = 1.44269504f;
    /** ln 2 split so that {@code n·LN2_HIGH} is exact for |n| < 2^15. */
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;
    /** Adding and subtracting 1.5·2^23 rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUNDING = 0x1.8p23f;
    /** e^88.8 overflows and e^-104 underflows to zero, so arguments are clamped there. */
    private static final float EXP_MAX = 88.8f;
    private static final float EXP_MIN = -104f;
    /**
     * e^r ≈ 1 + r·(c1 + r·(c2 + …)) on |r| ≤ 0.35: weighted least squares on Chebyshev nodes, relative error
     * 2.4e-9 before rounding.
     */
    private static final float EXP_1 = 1.000000038f;
    private static final float EXP_2 = 4.999999507e-1f;
    private static final float EXP_3 = 1.666641118e-1f;
    private static final float EXP_4 = 4.166776736e-2f;
    private static final float EXP_5 = 8.375581513e-3f;
    private static final float EXP_6 = 1.385866394e-3f;

    /**
     * erfc(t) = s·e^(−t² + P(u)) with s = 2/(2 + t), u = 2s − 1 = (2 − t)/(2 + t), for every t ≥ 0. P is a
     * degree-11 least-squares fit in Chebyshev nodes over u ∈ [−1, 1] of log(erfc(t)/s) + t² (computed with
     * 40-digit mpmath); its absolute error, hence the relative error of erfc, is 1.05e-8.
     */
    private static final float[] ERFC_EXPONENT = {
        -6.717940917e-01f, 6.726431548e-01f, 4.734388761e-02f, -4.689364056e-02f, -9.880019324e-03f,
        8.808825369e-03f, 1.794066250e-03f, -2.288765239e-03f, -2.279109660e-04f, 5.737663719e-04f,
        8.000738156e-06f, -8.728381018e-05f
    };
    private static final float INV_SQRT2 = 0.70710678f;
    /** Beyond |x| = 20 the normal CDF is 0 or 1 in float. */
    private static final float CDF_LIMIT = 20f;

    /** Shuffles pairing lane i with lane i ^ step, for a fixed-order lane sum. */
    private static final VectorShuffle<Float>[] BUTTERFLY = butterflies();

    private VectorMath() {
    }

    /** e^x, within 2 ulps wherever the result is a normal float; 0 below e^-104, +∞ above e^88.8. */
    static FloatVector exp(FloatVector x) {
        return exp(x, FloatVector.zero(FLOATS));
    }

    /**
     * e^(high + low) where {@code low} is a small correction to {@code high} (|low| ≲ 4); the correction enters
     * after the range reduction, so it keeps its precision even when high is large.
     */
    private static FloatVector exp(FloatVector high, FloatVector low) {
        FloatVector hi = high.max(EXP_MIN).min(EXP_MAX);
        FloatVector shifted = hi.add(low).fma(LOG2_E, ROUNDING);
        FloatVector n = shifted.sub(ROUNDING);
        IntVector exponent = shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDING));
        // r = high + low − n·ln 2: the first step is exact, the rest are small
        FloatVector r = n.fma(FloatVector.broadcast(FLOATS, -LN2_HIGH), hi);
        r = n.fma(FloatVector.broadcast(FLOATS, -LN2_LOW), r).add(low);
        FloatVector p = r.fma(EXP_6, EXP_5).fma(r, FloatVector.broadcast(FLOATS, EXP_4))
                .fma(r, FloatVector.broadcast(FLOATS, EXP_3)).fma(r, FloatVector.broadcast(FLOATS, EXP_2))
                .fma(r, FloatVector.broadcast(FLOATS, EXP_1)).fma(r, FloatVector.broadcast(FLOATS, 1f));
        // 2^n in two factors, so that results in the subnormal range round once instead of overflowing the exponent
        IntVector half = exponent.lanewise(VectorOperators.ASHR, 1);
        return p.mul(powerOfTwo(half)).mul(powerOfTwo(exponent.sub(half)));
    }

    private static FloatVector powerOfTwo(IntVector n) {
        return n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /**
     * Exact GELU, x·Φ(x) with Φ(x) = erfc(−x/√2)/2: erfc of |x|/√2 is evaluated with its own relative
     * accuracy, so the negative tail (where 1 + erf would cancel) stays accurate to the last few ulps.
     */
    static FloatVector gelu(FloatVector x) {
        FloatVector magnitude = x.abs().min(CDF_LIMIT);
        FloatVector square = magnitude.mul(magnitude);
        FloatVector squareError = magnitude.fma(magnitude, square.neg());
        FloatVector t = magnitude.mul(INV_SQRT2);
        FloatVector reciprocal = FloatVector.broadcast(FLOATS, 1f).div(t.add(2f));
        FloatVector u = t.neg().add(2f).mul(reciprocal);
        FloatVector exponent = FloatVector.broadcast(FLOATS, ERFC_EXPONENT[ERFC_EXPONENT.length - 1]);
        for (int i = ERFC_EXPONENT.length - 2; i >= 0; i--) {
            exponent = exponent.fma(u, FloatVector.broadcast(FLOATS, ERFC_EXPONENT[i]));
        }
        // t² = (square + squareError)/2 exactly; the large part goes to exp as high, the rest as the correction
        FloatVector halfErfc = reciprocal.mul(exp(square.mul(-0.5f), exponent.sub(squareError.mul(0.5f))));
        FloatVector cdf = halfErfc.blend(halfErfc.neg().add(1f), x.compare(VectorOperators.GE, 0f));
        return x.mul(cdf);
    }

    /**
     * x·sigmoid(k·x), as x/(1 + e) for k·x ≥ 0 and x·e/(1 + e) below, with e = e^(−|k·x|) ≤ 1 so that nothing
     * overflows; k·x is carried in two parts (k itself split into a float and its remainder) so that e keeps
     * full precision for large |x|.
     */
    static FloatVector timesSigmoid(FloatVector x, float kHigh, float kLow) {
        FloatVector product = x.mul(kHigh);
        FloatVector productError = x.fma(FloatVector.broadcast(FLOATS, kHigh), product.neg()).add(x.mul(kLow));
        VectorMask<Float> negative = product.compare(VectorOperators.LT, 0f);
        FloatVector decay = exp(product.neg().blend(product, negative), productError.neg().blend(productError, negative));
        return x.blend(x.mul(decay), negative).div(decay.add(1f));
    }

    /** The sum of the lanes in a fixed order (a butterfly), unlike {@code reduceLanes(ADD)}, whose order may vary. */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> shuffle : BUTTERFLY) {
            v = v.add(v.rearrange(shuffle));
        }
        return v.lane(0);
    }

    /** The largest lane (exact, so any order will do). */
    static float maxLanes(FloatVector v) {
        return v.reduceLanes(VectorOperators.MAX);
    }

    private static VectorShuffle<Float>[] butterflies() {
        @SuppressWarnings("unchecked")
        VectorShuffle<Float>[] shuffles = new VectorShuffle[Integer.numberOfTrailingZeros(LANES)];
        for (int level = 0; level < shuffles.length; level++) {
            int step = 1 << level;
            shuffles[level] = VectorShuffle.fromOp(FLOATS, i -> i ^ step);
        }
        return shuffles;
    }
}
