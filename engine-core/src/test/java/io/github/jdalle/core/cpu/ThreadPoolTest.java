package io.github.jdalle.core.cpu;

import io.github.jdalle.core.JdalleException;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool covers every index exactly once, propagates failures, and runs nested or concurrent calls inline. */
class ThreadPoolTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            try (ThreadPool pool = new ThreadPool(threads)) {
                for (int n : new int[] {0, 1, 7, 90, 2730, 16385}) {
                    for (int grain : new int[] {1, 3, 64, 100_000}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                        pool.parallelFor(n, grain, (start, end) -> {
                            for (int i = start; i < end; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i),
                                    "index " + i + " of " + n + ", grain " + grain + ", " + threads + " threads");
                        }
                    }
                }
            }
        }
    }

    /**
     * The pool reuses one job object, so a helper that wakes late must not claim chunks of the next loop: many short
     * loops back to back, each chunk recorded under the loop that ran it.
     */
    @Test
    void backToBackLoopsNeverShareChunks() {
        int loops = 20_000;
        int n = 6;
        for (int threads : new int[] {2, 4}) {
            try (ThreadPool pool = new ThreadPool(threads)) {
                AtomicIntegerArray hits = new AtomicIntegerArray(loops * n);
                for (int loop = 0; loop < loops; loop++) {
                    int base = loop * n;
                    pool.parallelFor(n, 1, (start, end) -> {
                        for (int i = start; i < end; i++) {
                            hits.incrementAndGet(base + i);
                        }
                    });
                }
                for (int i = 0; i < loops * n; i++) {
                    assertEquals(1, hits.get(i), "loop " + i / n + ", index " + i % n + ", " + threads + " threads");
                }
            }
        }
    }

    @Test
    void aFailingChunkFailsTheCall() {
        try (ThreadPool pool = new ThreadPool(3)) {
            JdalleException failure = new JdalleException("chunk 5 failed");
            JdalleException thrown = assertThrows(JdalleException.class, () -> pool.parallelFor(10, 1, (start, end) -> {
                if (start == 5) {
                    throw failure;
                }
            }));
            assertSame(failure, thrown);
            // the pool still works afterwards
            AtomicInteger count = new AtomicInteger();
            pool.parallelFor(100, 1, (start, end) -> count.addAndGet(end - start));
            assertEquals(100, count.get());
        }
    }

    @Test
    void nestedAndConcurrentCallsComplete() throws InterruptedException {
        try (ThreadPool pool = new ThreadPool(2)) {
            AtomicInteger count = new AtomicInteger();
            Runnable nested = () -> pool.parallelFor(50, 1, (start, end) -> {
                for (int i = start; i < end; i++) {
                    pool.parallelFor(10, 1, (innerStart, innerEnd) -> count.addAndGet(innerEnd - innerStart));
                }
            });
            Thread other = new Thread(() -> {
                for (int i = 0; i < 20; i++) {
                    nested.run();
                }
            });
            other.start();
            for (int i = 0; i < 20; i++) {
                nested.run();
            }
            other.join();
            assertEquals(2 * 20 * 50 * 10, count.get());
        }
    }

    @Test
    void grainKeepsSmallWorkTogether() {
        assertEquals(1, ThreadPool.grain(1L << 40));
        assertTrue(ThreadPool.grain(1) >= 10_000, "cheap items go in large chunks");
        assertTrue(ThreadPool.grain(100) < ThreadPool.grain(1));
    }
}
