package io.github.jdalle.core.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float transcendental functions over arrays, in vectors: exp (with the sum, for softmax), exact GELU and
 * the sigmoid products behind quick GELU and swish. Each is accurate to a few float ulps over its whole range
 * (tested against double precision in {@code VectorMathTest}); none branches on lane values.
 *
 * <p>The shape is a few short loops over arrays, not functions of one vector, on purpose: a vector passed to
 * or returned from a method the JIT declines to inline (and these are large once the Vector API is expanded)
 * is boxed on every call, a hundred times slower. So each function is a loop that prepares the arguments of
 * exp into per-thread arrays, one exp loop shared by all, and a loop that finishes; every loop is small
 * enough to be compiled whole.
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

    /*
     * erfc(t) = s·e^(−t² + P(u)) with s = 2/(2 + t), u = 2s − 1 = (2 − t)/(2 + t), for every t ≥ 0. P is a
     * degree-11 least-squares fit in Chebyshev nodes over u ∈ [−1, 1] of log(erfc(t)/s) + t² (computed with
     * 40-digit mpmath); its absolute error, hence the relative error of erfc, is 1.05e-8.
     */
    private static final float ERFC_0 = -6.717940917e-01f;
    private static final float ERFC_1 = 6.726431548e-01f;
    private static final float ERFC_2 = 4.734388761e-02f;
    private static final float ERFC_3 = -4.689364056e-02f;
    private static final float ERFC_4 = -9.880019324e-03f;
    private static final float ERFC_5 = 8.808825369e-03f;
    private static final float ERFC_6 = 1.794066250e-03f;
    private static final float ERFC_7 = -2.288765239e-03f;
    private static final float ERFC_8 = -2.279109660e-04f;
    private static final float ERFC_9 = 5.737663719e-04f;
    private static final float ERFC_10 = 8.000738156e-06f;
    private static final float ERFC_11 = -8.728381018e-05f;
    private static final float INV_SQRT2 = 0.70710678f;
    /** Beyond |x| = 20 the normal CDF is 0 or 1 in float. */
    private static final float CDF_LIMIT = 20f;

    /** Shuffles pairing lane i with lane i ^ step, for a fixed-order lane sum (null where the vector is shorter). */
    private static final VectorShuffle<Float> PAIRS_1 = VectorShuffle.fromOp(FLOATS, i -> i ^ 1);
    private static final VectorShuffle<Float> PAIRS_2 = LANES >= 4 ? VectorShuffle.fromOp(FLOATS, i -> i ^ 2) : null;
    private static final VectorShuffle<Float> PAIRS_4 = LANES >= 8 ? VectorShuffle.fromOp(FLOATS, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> PAIRS_8 = LANES >= 16 ? VectorShuffle.fromOp(FLOATS, i -> i ^ 8) : null;

    private VectorMath() {
    }

    /**
     * values[i] = e^(values[i] − max) for i < count, returning their sum in a fixed order. The array must
     * have room for a whole number of vectors: the lanes past count are set to −∞ and come out as zeros.
     */
    static float exponentiate(float[] values, int count, float max) {
        int padded = padded(count);
        Arrays.fill(values, count, padded, Float.NEGATIVE_INFINITY);
        float[] low = Scratch.floats(Scratch.Slot.EXP_LOW, padded);
        Arrays.fill(low, 0, padded, 0f);
        for (int i = 0; i < padded; i += LANES) {
            FloatVector.fromArray(FLOATS, values, i).sub(max).intoArray(values, i);
        }
        exp(values, low, padded);
        FloatVector sums = FloatVector.zero(FLOATS);
        for (int i = 0; i < padded; i += LANES) {
            sums = sums.add(FloatVector.fromArray(FLOATS, values, i));
        }
        return sumLanes(sums);
    }

    /**
     * values[i] = GELU(values[i]) for i < count, the exact x·Φ(x) with Φ(x) = erfc(−x/√2)/2: erfc of |x|/√2 is
     * evaluated with its own relative accuracy, so the negative tail (where 1 + erf would cancel) stays
     * accurate to the last few ulps. The array must have room for a whole number of vectors.
     */
    static void gelu(float[] values, int count) {
        int padded = padded(count);
        float[] high = Scratch.floats(Scratch.Slot.EXP_HIGH, padded);
        float[] low = Scratch.floats(Scratch.Slot.EXP_LOW, padded);
        float[] factor = Scratch.floats(Scratch.Slot.EXP_FACTOR, padded);
        for (int i = 0; i < padded; i += LANES) {
            FloatVector magnitude = FloatVector.fromArray(FLOATS, values, i).abs().min(CDF_LIMIT);
            FloatVector square = magnitude.mul(magnitude);
            FloatVector squareError = magnitude.fma(magnitude, square.neg());
            FloatVector t = magnitude.mul(INV_SQRT2);
            FloatVector reciprocal = FloatVector.broadcast(FLOATS, 1f).div(t.add(2f));
            FloatVector u = t.neg().add(2f).mul(reciprocal);
            FloatVector p = u.fma(ERFC_11, ERFC_10)
                    .fma(u, FloatVector.broadcast(FLOATS, ERFC_9)).fma(u, FloatVector.broadcast(FLOATS, ERFC_8))
                    .fma(u, FloatVector.broadcast(FLOATS, ERFC_7)).fma(u, FloatVector.broadcast(FLOATS, ERFC_6))
                    .fma(u, FloatVector.broadcast(FLOATS, ERFC_5)).fma(u, FloatVector.broadcast(FLOATS, ERFC_4))
                    .fma(u, FloatVector.broadcast(FLOATS, ERFC_3)).fma(u, FloatVector.broadcast(FLOATS, ERFC_2))
                    .fma(u, FloatVector.broadcast(FLOATS, ERFC_1)).fma(u, FloatVector.broadcast(FLOATS, ERFC_0));
            // erfc(t)/2 = reciprocal·e^(−t² + P) with t² = (square + squareError)/2 exactly: the large part
            // goes to exp as high, the rest as the correction
            square.mul(-0.5f).intoArray(high, i);
            p.sub(squareError.mul(0.5f)).intoArray(low, i);
            reciprocal.intoArray(factor, i);
        }
        exp(high, low, padded);
        for (int i = 0; i < padded; i += LANES) {
            FloatVector x = FloatVector.fromArray(FLOATS, values, i);
            FloatVector halfErfc = FloatVector.fromArray(FLOATS, factor, i).mul(FloatVector.fromArray(FLOATS, high, i));
            x.mul(halfErfc.blend(halfErfc.neg().add(1f), x.compare(VectorOperators.GE, 0f))).intoArray(values, i);
        }
    }

    /**
     * values[i] = x·sigmoid(k·x) for i < count, as x/(1 + e) for k·x ≥ 0 and x·e/(1 + e) below, with
     * e = e^(−|k·x|) ≤ 1 so that nothing overflows; k·x is carried in two parts (k itself split into a float
     * and its remainder) so that e keeps full precision for large |x|. The array must have room for a whole
     * number of vectors.
     */
    static void timesSigmoid(float[] values, int count, float kHigh, float kLow) {
        int padded = padded(count);
        float[] high = Scratch.floats(Scratch.Slot.EXP_HIGH, padded);
        float[] low = Scratch.floats(Scratch.Slot.EXP_LOW, padded);
        FloatVector k = FloatVector.broadcast(FLOATS, kHigh);
        for (int i = 0; i < padded; i += LANES) {
            FloatVector x = FloatVector.fromArray(FLOATS, values, i);
            FloatVector product = x.mul(k);
            FloatVector productError = x.fma(k, product.neg()).add(x.mul(kLow));
            VectorMask<Float> negative = product.compare(VectorOperators.LT, 0f);
            product.neg().blend(product, negative).intoArray(high, i);
            productError.neg().blend(productError, negative).intoArray(low, i);
        }
        exp(high, low, padded);
        for (int i = 0; i < padded; i += LANES) {
            FloatVector x = FloatVector.fromArray(FLOATS, values, i);
            FloatVector decay = FloatVector.fromArray(FLOATS, high, i);
            VectorMask<Float> negative = x.mul(k).compare(VectorOperators.LT, 0f);
            x.blend(x.mul(decay), negative).div(decay.add(1f)).intoArray(values, i);
        }
    }

    /**
     * high[i] = e^(high[i] + low[i]) for i < count (a whole number of vectors), within 2 ulps wherever the
     * result is a normal float (0 below e^-104, +∞ above e^88.8). {@code low} is a small correction to high
     * (|low| ≲ 4): it enters after the range reduction, so it keeps its precision even when high is large.
     */
    private static void exp(float[] high, float[] low, int count) {
        // written out in the loop, with only Vector API calls (which the JIT always inlines), so that no
        // vector crosses a call of ours
        FloatVector negativeLn2High = FloatVector.broadcast(FLOATS, -LN2_HIGH);
        FloatVector negativeLn2Low = FloatVector.broadcast(FLOATS, -LN2_LOW);
        for (int i = 0; i < count; i += LANES) {
            FloatVector hi = FloatVector.fromArray(FLOATS, high, i).max(EXP_MIN).min(EXP_MAX);
            FloatVector lo = FloatVector.fromArray(FLOATS, low, i);
            FloatVector shifted = hi.add(lo).fma(LOG2_E, ROUNDING);
            FloatVector n = shifted.sub(ROUNDING);
            IntVector exponent = shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDING));
            // r = high + low − n·ln 2: the first step is exact, the rest are small
            FloatVector r = n.fma(negativeLn2High, hi);
            r = n.fma(negativeLn2Low, r).add(lo);
            FloatVector p = r.fma(EXP_6, EXP_5).fma(r, FloatVector.broadcast(FLOATS, EXP_4))
                    .fma(r, FloatVector.broadcast(FLOATS, EXP_3)).fma(r, FloatVector.broadcast(FLOATS, EXP_2))
                    .fma(r, FloatVector.broadcast(FLOATS, EXP_1)).fma(r, FloatVector.broadcast(FLOATS, 1f));
            // 2^n in two factors (each 2^m as the bits (m + 127) << 23), so that results in the subnormal range
            // round once instead of overflowing the exponent field
            IntVector half = exponent.lanewise(VectorOperators.ASHR, 1);
            FloatVector first = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector second = exponent.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(first).mul(second).intoArray(high, i);
        }
    }

    private static int padded(int count) {
        return Gemm.ceilDiv(count, LANES) * LANES;
    }

    /** The sum of the lanes in a fixed order (a butterfly), unlike {@code reduceLanes(ADD)}, whose order may vary. */
    static float sumLanes(FloatVector v) {
        if (LANES >= 16) {
            v = v.add(v.rearrange(PAIRS_8));
        }
        if (LANES >= 8) {
            v = v.add(v.rearrange(PAIRS_4));
        }
        if (LANES >= 4) {
            v = v.add(v.rearrange(PAIRS_2));
        }
        return v.add(v.rearrange(PAIRS_1)).lane(0);
    }

    /** The largest lane (exact, so any order will do). */
    static float maxLanes(FloatVector v) {
        return v.reduceLanes(VectorOperators.MAX);
    }
}
