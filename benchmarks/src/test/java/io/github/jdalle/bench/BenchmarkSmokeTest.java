package io.github.jdalle.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every benchmark runs through JMH (in this JVM, one short iteration, smallest shapes) and has a cost model
 * for the roofline table. Speed is not asserted here; that is what the benchmarks are for. The mega-1 step is
 * left out: its 5 GB of random weights take a minute to draw.
 */
class BenchmarkSmokeTest {
    private static final String LEFT_OUT = "megaDecoderStep";

    @Test
    void everyBenchmarkRunsAndHasACostModel(@TempDir Path log) throws RunnerException {
        // JMH refuses to start while another JMH run holds /tmp/jmh.lock (a benchmark the user runs while
        // building); this in-process smoke run measures nothing, so it need not wait for the lock.
        System.setProperty("jmh.ignoreLock", "true");
        Options options = new OptionsBuilder()
                .output(log.resolve("jmh.txt").toString())
                .include("io\\.github\\.jdalle\\.bench\\..*")
                .exclude(LEFT_OUT)
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(1))
                .shouldFailOnError(true)
                .param("threads", "1")
                .param("size", "256")
                .param("m", "2").param("k", "1024").param("n", "2730").param("weights", "BF16")
                .param("batch", "2")
                .param("streams", "8")
                .param("rows", "16").param("width", "1024").param("hwc", "16x16x512")
                .param("conv", "16x16x256to512k3")
                .param("images", "1")
                .param("grid", "2")
                .build();
        Collection<RunResult> results = new Runner(options).run();

        long benchmarkMethods = Roofline.COST_MODELS.keySet().stream()
                .flatMap(name -> Arrays.stream(load(name).getMethods()))
                .filter(method -> method.isAnnotationPresent(Benchmark.class) && !method.getName().equals(LEFT_OUT))
                .count();
        assertEquals(benchmarkMethods, results.size(), "one result per benchmark method");
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String className = benchmark.substring(0, benchmark.lastIndexOf('.'));
            assertTrue(Roofline.COST_MODELS.containsKey(className), benchmark + " has no cost model in Roofline");
            double score = result.getPrimaryResult().getScore();
            assertTrue(score > 0 && Double.isFinite(score), benchmark + " scored " + score);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(name, e);
        }
    }
}
