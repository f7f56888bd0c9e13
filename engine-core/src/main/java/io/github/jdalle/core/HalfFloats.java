package io.github.jdalle.core;

/**
 * Conversions between float32 and the two 16-bit floating-point formats, IEEE binary16 (F16) and bfloat16
 * (BF16). Narrowing rounds to nearest, ties to even, as numpy and JAX do.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** Widens IEEE binary16 bits to float (exact). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Narrows to IEEE binary16, round to nearest even; overflow gives ±infinity. */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /** Widens bfloat16 bits to float (exact: bfloat16 is the upper half of a float). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Narrows to bfloat16, round to nearest even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
