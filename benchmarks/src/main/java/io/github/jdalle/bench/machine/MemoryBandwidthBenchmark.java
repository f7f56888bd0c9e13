package io.github.jdalle.bench.machine;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.Work;
import io.github.jdalle.core.cpu.ThreadPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The machine's memory read bandwidth for the roofline: a vectorized sum ({@link StreamingSum}) over a 1 GiB
 * off-heap buffer, far larger than any cache, split into one contiguous part per thread, which each thread reads
 * as one stream or as {@link StreamingSum#STREAMS} side by side ({@link #streams}). The roofline takes the faster:
 * on a Xeon (Sapphire Rapids class) one stream per thread read 18.3 GB/s where the decoder's eight-row GEMVs
 * streamed 25.6, so a single stream is no ceiling there. The buffer is written once at setup so that every page is
 * backed by memory.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 5, time = 1)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MemoryBandwidthBenchmark extends BenchmarkBase {
    /** Bytes read per benchmark operation. */
    public static final long BYTES = 1L << 30;

    @Param({"1", ALL_THREADS})
    public String threads;

    /** Sequential streams each thread reads side by side: 1, or {@link StreamingSum#STREAMS}. */
    @Param({"1", "8"})
    public int streams;

    private Arena arena;
    private MemorySegment buffer;
    private ThreadPool pool;
    private int threadCount;

    @Setup
    public void setUp() {
        if (streams != 1 && streams != StreamingSum.STREAMS) {
            throw new IllegalArgumentException("streams must be 1 or " + StreamingSum.STREAMS + ", got " + streams);
        }
        threadCount = threadCount(threads);
        pool = new ThreadPool(threadCount);
        arena = Arena.ofShared();
        buffer = arena.allocate(BYTES, 64);
        buffer.fill((byte) 1);
    }

    @TearDown
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public double read() {
        long block = StreamingSum.blockBytes() * StreamingSum.STREAMS;
        long blocks = BYTES / block;
        long blocksPerThread = (blocks + threadCount - 1) / threadCount;
        DoubleAdder sum = new DoubleAdder();
        pool.parallelFor(threadCount, 1, (first, end) -> {
            for (int t = first; t < end; t++) {
                long from = Math.min(blocks, t * blocksPerThread) * block;
                long to = Math.min(blocks, (t + 1) * blocksPerThread) * block;
                sum.add(streams == 1 ? StreamingSum.sum(buffer, from, to)
                        : StreamingSum.sumStreams(buffer, from, to));
            }
        });
        return sum.sum();
    }

    /** 1 GiB read, no FLOPs counted; results without a streams parameter (before it existed) read one stream. */
    public static Work work(String method, Map<String, String> params) {
        String streams = params.getOrDefault("streams", "1");
        String pattern = streams.equals("1") ? "1 stream" : streams + " streams";
        return new Work("memory read, " + pattern + Work.threads(params.get("threads")), 0, BYTES);
    }
}
