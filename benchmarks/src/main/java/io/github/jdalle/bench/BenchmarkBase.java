package io.github.jdalle.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * JMH settings shared by every jdalle benchmark (JMH reads them from the superclass): average time per
 * operation, one fork that has the Vector API module and may call native code, and short iterations, since
 * every operation here is milliseconds long. Command-line options ({@code -wi}, {@code -i}, {@code -f},
 * {@code -r}) override them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public abstract class BenchmarkBase {
    /** The value of a {@code threads} parameter meaning one thread per available core. */
    public static final String ALL_THREADS = "all";

    /** The thread count a {@code threads} parameter names: a number, or {@value #ALL_THREADS}. */
    public static int threadCount(String threads) {
        return threads.equals(ALL_THREADS) ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
    }
}
