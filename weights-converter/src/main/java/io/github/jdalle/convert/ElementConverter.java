package io.github.jdalle.convert;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Converts blocks of little-endian elements between F32, F16 and BF16 through float, with the rounding of
 * {@link HalfFloats} (nearest, ties to even), and counts what narrowing loses: finite values that overflow
 * to infinity and non-zero values that flush to zero. One instance per conversion; not thread-safe.
 */
final class ElementConverter {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final int EXPONENT_AND_MANTISSA = 0x7fff;
    private static final int F16_INFINITY = 0x7c00;
    private static final int BF16_INFINITY = 0x7f80;

    private final float[] values;
    private final short[] halves;
    private long overflowed;
    private long flushedToZero;

    /** A converter for blocks of up to {@code blockElements} elements. */
    ElementConverter(int blockElements) {
        values = new float[blockElements];
        halves = new short[blockElements];
    }

    /** Finite values that became ±infinity so far. */
    long overflowed() {
        return overflowed;
    }

    /** Non-zero values that became ±0 so far. */
    long flushedToZero() {
        return flushedToZero;
    }

    /** Converts the {@code count} elements of {@code source} (type {@code from}) into {@code target} (type {@code to}). */
    void convert(MemorySegment source, DType from, MemorySegment target, DType to, int count) {
        switch (from) {
            case F32 -> MemorySegment.copy(source, F32_LE, 0, values, 0, count);
            case F16, BF16 -> {
                MemorySegment.copy(source, I16_LE, 0, halves, 0, count);
                for (int i = 0; i < count; i++) {
                    values[i] = from == DType.F16 ? HalfFloats.f16ToFloat(halves[i]) : HalfFloats.bf16ToFloat(halves[i]);
                }
            }
            case I32 -> throw new IllegalArgumentException("I32 is not a floating-point type");
        }
        switch (to) {
            case F32 -> MemorySegment.copy(values, 0, target, F32_LE, 0, count);
            case F16 -> narrow(target, count, true);
            case BF16 -> narrow(target, count, false);
            case I32 -> throw new IllegalArgumentException("I32 is not a floating-point type");
        }
    }

    private void narrow(MemorySegment target, int count, boolean f16) {
        int infinity = f16 ? F16_INFINITY : BF16_INFINITY;
        for (int i = 0; i < count; i++) {
            float value = values[i];
            short bits = f16 ? HalfFloats.floatToF16(value) : HalfFloats.floatToBf16(value);
            int magnitude = bits & EXPONENT_AND_MANTISSA;
            if (magnitude == infinity && Float.isFinite(value)) {
                overflowed++;
            } else if (magnitude == 0 && value != 0) {
                flushedToZero++;
            }
            halves[i] = bits;
        }
        MemorySegment.copy(halves, 0, target, I16_LE, 0, count);
    }
}
