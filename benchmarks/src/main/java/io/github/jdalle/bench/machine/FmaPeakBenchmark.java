package io.github.jdalle.bench.machine;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.cpu.ThreadPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The machine's F32 compute ceiling for the roofline: fused multiply-adds on the widest vectors the Vector
 * API offers, nothing else ({@link FmaChains}). Twelve independent accumulator chains cover FMA latency × FMA
 * ports (4–5 cycles × 1–2 full-width ports on current x86 cores) and fit the 16 vector registers of AVX2
 * with the two operands; each chain starts from a different value, so the compiler cannot merge them. The
 * form matters: {@code acc = x·y + acc} (as in a GEMM) reached 39 GFLOP per CPU-second on the 2-core Zen 1
 * EPYC this was tuned on with 8 to 12 chains, where {@code acc = acc·m + c} peaked at 34 with 6 chains and
 * fell to 27 with 12. Products of 0.999 and 0.001 keep the accumulators far from overflow and subnormals.
 * One operation is 2³¹ FLOPs in total, split evenly over the threads; warm-up is longer than the default so
 * that the loop is measured C2-compiled, not on-stack-replaced.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 5, time = 1)
public class FmaPeakBenchmark extends BenchmarkBase {
    /** FLOPs per benchmark operation, whatever the vector width and thread count (up to one loop iteration). */
    public static final double FLOPS = 1L << 31;

    @Param({"1", ALL_THREADS})
    public String threads;

    private ThreadPool pool;
    private int threadCount;
    private long iterationsPerThread;
    private float x = 0.999f;
    private float y = 0.001f;

    @Setup
    public void setUp() {
        threadCount = threadCount(threads);
        pool = new ThreadPool(threadCount);
        iterationsPerThread = Math.round(FLOPS / FmaChains.flopsPerIteration() / threadCount);
    }

    @TearDown
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public double fma() {
        DoubleAdder sum = new DoubleAdder();
        pool.parallelFor(threadCount, 1, (first, end) -> {
            for (int t = first; t < end; t++) {
                sum.add(FmaChains.run(iterationsPerThread, t + y, x, y));
            }
        });
        return sum.sum();
    }

    /** 2³¹ FLOPs, no memory traffic. */
    public static Work work(String method, Map<String, String> params) {
        return new Work("FMA peak" + Work.threads(params.get("threads")), FLOPS, 0);
    }
}
