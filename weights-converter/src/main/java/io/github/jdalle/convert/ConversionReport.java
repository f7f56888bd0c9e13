package io.github.jdalle.convert;

import io.github.jdalle.core.weights.ModelKind;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The outcome of a conversion.
 *
 * @param output        the weight file written
 * @param kind          the model recognised
 * @param tensorCount   the number of tensors
 * @param sourceBytes   array data bytes read from the checkpoint
 * @param outputBytes   size of the weight file
 * @param overflowed    finite values that became ±infinity when narrowed to a 16-bit type
 * @param flushedToZero non-zero values that became ±0 when narrowed to a 16-bit type
 * @param elapsed       wall time of the conversion
 */
public record ConversionReport(Path output, ModelKind kind, int tensorCount, long sourceBytes, long outputBytes,
        long overflowed, long flushedToZero, Duration elapsed) {

    /** Source data throughput in MB/s (10⁶ bytes per second). */
    public double megabytesPerSecond() {
        return sourceBytes / 1e6 / Math.max(elapsed.toNanos() / 1e9, 1e-9);
    }

    /** One line for the command line, with the narrowing counts when there were any. */
    public String summary() {
        String narrowing = overflowed + flushedToZero == 0 ? ""
                : String.format("; narrowing: %,d values overflowed to infinity, %,d flushed to zero", overflowed, flushedToZero);
        return String.format("%s: %s, %d tensors, %,d bytes in %.1f s (%.0f MB/s)%s", output, kind, tensorCount, outputBytes,
                elapsed.toNanos() / 1e9, megabytesPerSecond(), narrowing);
    }
}
