package io.github.jdalle.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jdalle.convert.MsgpackWriter.TestArray;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.weights.JdwFile;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * f32 → f16/bf16 → f32 through the converter, checked against the IEEE rounding rule itself (round to nearest,
 * ties to even) with an independent decoder of 16-bit patterns, and the overflow / flush-to-zero counts against
 * the thresholds that rule implies; f16/bf16 → f32 must widen every one of the 65536 patterns exactly.
 */
class NarrowingTest {
    @TempDir
    Path temp;

    /** The 16-bit float formats: exponent and mantissa widths. */
    private enum Format {
        F16(5, 10), BF16(8, 7);

        final int exponentBits;
        final int mantissaBits;

        Format(int exponentBits, int mantissaBits) {
            this.exponentBits = exponentBits;
            this.mantissaBits = mantissaBits;
        }

        /**
         * The value of magnitude bits {@code m}, decoding the all-ones exponent as if it were a normal one (so the
         * infinity pattern stands for the first power of two past the largest finite value, where overflow rounds to).
         */
        double magnitude(int m) {
            int exponent = m >> mantissaBits;
            int fraction = m & ((1 << mantissaBits) - 1);
            int bias = (1 << (exponentBits - 1)) - 1;
            return exponent == 0 ? Math.scalb((double) fraction, 1 - bias - mantissaBits)
                    : Math.scalb((double) ((1 << mantissaBits) + fraction), exponent - bias - mantissaBits);
        }

        int infinity() {
            return ((1 << exponentBits) - 1) << mantissaBits;
        }
    }

    @ParameterizedTest
    @CsvSource({"F16, F16", "BF16, BF16"})
    void narrowingRoundsToNearestEvenAndCountsLosses(TargetDType target, Format format) throws IOException {
        float[] values = testValues();
        Path folder = folder(TestArray.f32(values, values.length));
        Path output = temp.resolve("narrow.jdw");
        ConversionReport report = Converter.convert(folder, null, output, target, ProgressListener.NONE);

        long overflows = 0;
        long flushes = 0;
        try (JdwFile jdw = JdwFile.open(output)) {
            Tensor stored = jdw.tensor("decoder/values");
            assertEquals(target.resolve(DType.F32), stored.dtype());
            for (int i = 0; i < values.length; i++) {
                float value = values[i];
                int bits = stored.segment().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xffff;
                String what = "value " + value + " (bits " + Integer.toHexString(Float.floatToRawIntBits(value)) + ") → "
                        + Integer.toHexString(bits);
                if (Float.isNaN(value)) {
                    assertTrue(Float.isNaN(stored.getFloat(i)), what);
                    continue;
                }
                assertEquals(Math.copySign(1f, value), Math.copySign(1f, stored.getFloat(i)), what + ": sign");
                int magnitude = bits & 0x7fff;
                if (Float.isInfinite(value)) {
                    assertEquals(format.infinity(), magnitude, what);
                    continue;
                }
                double exact = Math.abs((double) value);
                double chosen = format.magnitude(magnitude);
                double distance = Math.abs(exact - chosen);
                if (magnitude > 0) {
                    assertNotCloser(format.magnitude(magnitude - 1), exact, distance, magnitude, what);
                }
                if (magnitude < format.infinity()) {
                    assertNotCloser(format.magnitude(magnitude + 1), exact, distance, magnitude, what);
                }
                // widening back to f32 is exact
                assertEquals((float) (Math.copySign(magnitude == format.infinity() ? Double.POSITIVE_INFINITY : chosen, value)),
                        stored.getFloat(i), what + ": widened");
                double largest = format.magnitude(format.infinity() - 1);
                if (exact >= (largest + format.magnitude(format.infinity())) / 2) {
                    overflows++;
                }
                if (exact > 0 && exact <= format.magnitude(1) / 2) {
                    flushes++;
                }
            }
        }
        assertTrue(overflows > 0 && flushes > 0, "the test values reach both ends of the range");
        assertEquals(overflows, report.overflowed(), "overflow count");
        assertEquals(flushes, report.flushedToZero(), "flush-to-zero count");
    }

    /** {@code neighbour} is not nearer to {@code exact} than the chosen value, and on a tie the chosen one is even. */
    private static void assertNotCloser(double neighbour, double exact, double distance, int magnitude, String what) {
        double other = Math.abs(exact - neighbour);
        assertTrue(distance < other || (distance == other && magnitude % 2 == 0), what + ": " + neighbour + " is nearer");
    }

    @ParameterizedTest
    @CsvSource({"float16, F16", "bfloat16, BF16"})
    void widensEverySixteenBitPatternExactly(String dtype, Format format) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(2 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 1 << 16; bits++) {
            bytes.putShort((short) bits);
        }
        Path folder = folder(TestArray.raw(dtype, bytes.array(), 1 << 16));
        Path output = temp.resolve("wide.jdw");
        Converter.convert(folder, null, output, TargetDType.F32, ProgressListener.NONE);
        try (JdwFile jdw = JdwFile.open(output)) {
            Tensor widened = jdw.tensor("decoder/values");
            assertEquals(DType.F32, widened.dtype());
            for (int bits = 0; bits < 1 << 16; bits++) {
                int magnitude = bits & 0x7fff;
                float actual = widened.getFloat(bits);
                if (magnitude > format.infinity()) {
                    assertTrue(Float.isNaN(actual), Integer.toHexString(bits));
                    continue;
                }
                double expected = magnitude == format.infinity() ? Double.POSITIVE_INFINITY : format.magnitude(magnitude);
                assertEquals((float) ((bits & 0x8000) != 0 ? -expected : expected), actual, Integer.toHexString(bits));
                assertEquals(bits >>> 15, Float.floatToRawIntBits(actual) >>> 31, "sign of " + Integer.toHexString(bits));
            }
        }
    }

    /** Special values, values around both formats' overflow and underflow thresholds, and random bit patterns. */
    private static float[] testValues() {
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, 0.1f,
            65504f, 65519.996f, 65520f, -65520f, 65536f, 1e6f, Float.MAX_VALUE, -Float.MAX_VALUE,
            3.3895314e38f, 3.3961775e38f, 3.3961776e38f, 3.4e38f,
            0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 1e-8f, -1e-8f, 0x1.8p-24f, 0x1p-14f,
            0x1p-133f, 0x1p-134f, 0x1.000002p-134f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f};
        SplittableRandom random = new SplittableRandom(20240601);
        float[] values = new float[special.length + 50_000];
        System.arraycopy(special, 0, values, 0, special.length);
        for (int i = special.length; i < values.length; i++) {
            values[i] = Float.intBitsToFloat(random.nextInt());
        }
        return values;
    }

    private Path folder(TestArray values) throws IOException {
        Map<String, Object> tree = new LinkedHashMap<>(ConverterTest.vqganLike());
        tree.put("decoder", Map.of("values", values));
        Path folder = Files.createDirectories(temp.resolve("src"));
        MsgpackWriter.writeTree(folder.resolve(FlaxMsgpack.CHECKPOINT_FILE), tree);
        Files.writeString(folder.resolve(FlaxMsgpack.CONFIG_FILE), "{}");
        return folder;
    }
}
