package io.github.jdalle.core.cpu;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The 16-bit conversions on every one of the 65536 bit patterns: the kernels' widening against the JDK's
 * {@link Float#float16ToFloat} and the bfloat16 definition (the upper half of a float), and the narrowing in
 * {@link HalfFloats} as a round trip and against an independent round-to-nearest-even.
 */
class WideningTest {
    private static final int PATTERNS = 1 << 16;

    @Test
    void f16WidensExactlyForEveryPattern() {
        float[] widened = widenAll(DType.F16);
        for (int bits = 0; bits < PATTERNS; bits++) {
            assertSameFloat(Float.float16ToFloat((short) bits), widened[bits], "f16 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void bf16WidensExactlyForEveryPattern() {
        float[] widened = widenAll(DType.BF16);
        for (int bits = 0; bits < PATTERNS; bits++) {
            assertSameFloat(Float.intBitsToFloat(bits << 16), widened[bits], "bf16 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void wideningHandlesOffsetsAndTails() {
        MemorySegment patterns = patterns();
        for (DType type : new DType[] {DType.F16, DType.BF16}) {
            for (int start : new int[] {0, 1, 7, 33}) {
                for (int count : new int[] {0, 1, 7, 8, 9, 90}) {
                    float[] out = new float[count + 3];
                    Widening.toFloats(patterns, type, start, out, 3, count);
                    for (int i = 0; i < count; i++) {
                        short bits = (short) (start + i);
                        float expected = type == DType.F16 ? HalfFloats.f16ToFloat(bits) : HalfFloats.bf16ToFloat(bits);
                        assertSameFloat(expected, out[3 + i], type + " at " + (start + i));
                    }
                }
            }
        }
    }

    @Test
    void rowsSideBySideWidenLikeSingleRows() {
        MemorySegment patterns = patterns();
        for (DType type : new DType[] {DType.F16, DType.BF16}) {
            for (int count : new int[] {1, 7, 90, 300}) {
                int rows = 3;
                long rowStride = 1000;
                MemorySegment out = Arena.ofAuto().allocate(4L * rows * count, 64);
                Widening.rowsToFloats(patterns, type, 11, rowStride, rows, out, 0, 4L * count, count);
                for (int r = 0; r < rows; r++) {
                    float[] expected = new float[count];
                    Widening.toFloats(patterns, type, 11 + r * rowStride, expected, 0, count);
                    for (int i = 0; i < count; i++) {
                        assertSameFloat(expected[i], out.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * count + i),
                                type + " row " + r + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void narrowingRoundTripsEveryPattern() {
        for (int bits = 0; bits < PATTERNS; bits++) {
            short pattern = (short) bits;
            float f16 = HalfFloats.f16ToFloat(pattern);
            float bf16 = HalfFloats.bf16ToFloat(pattern);
            if (!Float.isNaN(f16)) {
                assertEquals(pattern, HalfFloats.floatToF16(f16), "f16 round trip 0x" + Integer.toHexString(bits));
            }
            if (!Float.isNaN(bf16)) {
                assertEquals(pattern, HalfFloats.floatToBf16(bf16), "bf16 round trip 0x" + Integer.toHexString(bits));
            } else {
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(bf16))), "bf16 NaN stays NaN");
            }
        }
    }

    @Test
    void bf16NarrowingRoundsToNearestEven() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            int bits = random.nextInt();
            // every fourth value sits exactly on a tie
            if (i % 4 == 0) {
                bits = (bits & 0xffff0000) | 0x8000;
            }
            float value = Float.intBitsToFloat(bits);
            if (Float.isNaN(value)) {
                continue;
            }
            assertEquals(nearestEvenBf16(value), HalfFloats.floatToBf16(value), "bf16 of " + value);
        }
    }

    /** The bfloat16 nearest to {@code value} by comparing the distances to its two neighbours, ties to an even mantissa. */
    private static short nearestEvenBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int down = bits & 0x7fff0000;
        double magnitude = Math.abs((double) value);
        double lower = Float.intBitsToFloat(down);
        // the next bfloat16 up, as a real number even where it is infinity as a float
        double upper = lower + Math.ulp((float) lower) * 65536.0;
        boolean roundUp = upper - magnitude < magnitude - lower
                || (upper - magnitude == magnitude - lower && ((down >>> 16) & 1) == 1);
        return (short) (((bits & 0x80000000) | (roundUp ? down + 0x10000 : down)) >>> 16);
    }

    private static float[] widenAll(DType type) {
        float[] out = new float[PATTERNS];
        Widening.toFloats(patterns(), type, 0, out, 0, PATTERNS);
        return out;
    }

    private static MemorySegment patterns() {
        MemorySegment segment = Arena.ofAuto().allocate(2L * PATTERNS, 64);
        for (int bits = 0; bits < PATTERNS; bits++) {
            segment.setAtIndex(ValueLayout.JAVA_SHORT, bits, (short) bits);
        }
        return segment;
    }

    private static void assertSameFloat(float expected, float actual, String what) {
        if (Float.isNaN(expected)) {
            if (!Float.isNaN(actual)) {
                fail(what + ": expected NaN, got " + actual);
            }
        } else if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            fail(what + ": expected " + expected + ", got " + actual);
        }
    }
}
