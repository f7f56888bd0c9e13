package io.github.jdalle.core.cpu;

import io.github.jdalle.core.JdalleException;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * A fixed pool of worker threads for the CPU kernels. {@link #parallelFor} splits {@code [0, n)} into
 * chunks handed out dynamically; the calling thread works too. Results never depend on the thread count
 * because every chunk writes a disjoint part of the output with the same arithmetic.
 */
public final class ThreadPool implements AutoCloseable {
    /** A body over the index range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private final int threads;
    private final ExecutorService executor;

    /** A pool of {@code threads} threads including the caller (0 = one per available core). */
    public ThreadPool(int threads) {
        if (threads < 0) {
            throw new JdalleException("thread count must be 0 (one per core) or positive, got " + threads);
        }
        this.threads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        AtomicInteger counter = new AtomicInteger();
        this.executor = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "jdalle-cpu-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} indices. */
    public void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunk = Math.max(grain, 1);
        int chunks = (n + chunk - 1) / chunk;
        if (executor == null || chunks == 1) {
            body.run(0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                int start = c * chunk;
                body.run(start, Math.min(n, start + chunk));
            }
        };
        int helpers = Math.min(threads - 1, chunks - 1);
        List<Future<?>> futures = new ArrayList<>(helpers);
        for (int i = 0; i < helpers; i++) {
            futures.add(executor.submit(worker));
        }
        worker.run();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JdalleException("interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new JdalleException("worker failed", e.getCause());
            }
        }
    }

    /** Splits {@code [0, n)} into about one chunk per thread (at least {@code minChunk} long). */
    public void parallelForEven(int n, int minChunk, RangeBody body) {
        parallelFor(n, Math.max(minChunk, (n + threads - 1) / threads), body);
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
