package io.github.jdalle.core.cpu;

import io.github.jdalle.core.JdalleException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of worker threads for the CPU kernels. {@link #parallelFor} splits {@code [0, n)} into
 * chunks handed out dynamically; the calling thread works too. Results never depend on the thread count
 * because every chunk writes a disjoint part of the output with the same arithmetic.
 *
 * <p>A decoder step is some thirty small ops, so the hand-off is cheap: workers spin briefly after a job
 * before parking, and work too small to share ({@link #grain}) runs inline on the caller. A call from a
 * worker, or from a second thread while the pool is busy, also runs inline rather than waiting.
 */
public final class ThreadPool implements AutoCloseable {
    /** A body over the index range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * About 50 µs of vectorised work (in multiply-adds or element operations): below this, waking another
     * thread costs more than it saves, all the more on a busy machine.
     */
    private static final long MIN_TASK_COST = 500_000;
    /** Spin iterations (about 20 µs) before a waiting thread parks. */
    private static final int SPINS = 20_000;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock submitting = new ReentrantLock();
    private volatile boolean closed;

    /** A pool of {@code threads} threads including the caller (0 = one per available core). */
    public ThreadPool(int threads) {
        if (threads < 0) {
            throw new JdalleException("thread count must be 0 (one per core) or positive, got " + threads);
        }
        this.threads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.workers = new Worker[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("jdalle-cpu-" + (i + 1));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * The smallest number of items worth a chunk of their own when one item costs about
     * {@code costPerItem} multiply-adds (or element operations).
     */
    public static int grain(long costPerItem) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_TASK_COST / Math.max(1, costPerItem)));
    }

    /** Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} indices. */
    public void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunk = Math.max(grain, 1);
        int chunks = (n + chunk - 1) / chunk;
        if (workers.length == 0 || chunks == 1 || Thread.currentThread() instanceof Worker
                || submitting.isHeldByCurrentThread() || !submitting.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            if (closed) {
                throw new JdalleException("the CPU backend is closed");
            }
            Job job = new Job(body, n, chunk, chunks);
            for (int i = 0, helpers = Math.min(workers.length, chunks - 1); i < helpers; i++) {
                workers[i].post(job);
            }
            job.work();
            job.awaitChunks();
            if (job.failure != null) {
                if (job.failure instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (job.failure instanceof Error error) {
                    throw error;
                }
                throw new JdalleException("a CPU worker failed", job.failure);
            }
        } finally {
            submitting.unlock();
        }
    }

    /** Splits {@code [0, n)} into about one chunk per thread (at least {@code minChunk} long). */
    public void parallelForEven(int n, int minChunk, RangeBody body) {
        parallelFor(n, Math.max(minChunk, (n + threads - 1) / threads), body);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker worker : workers) {
            LockSupport.unpark(worker);
        }
    }

    /**
     * One parallel loop: chunks are claimed from a shared counter by the caller and whichever helpers wake in
     * time. The caller waits for the chunks, not for the helpers, so a helper that is slow to wake costs
     * nothing: it finds no chunk left and goes back to waiting.
     */
    private static final class Job {
        final RangeBody body;
        final int n;
        final int chunk;
        final int chunks;
        // counters as fields rather than AtomicIntegers: a decoder step dispatches a hundred jobs
        private static final VarHandle NEXT;
        private static final VarHandle COMPLETED;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                NEXT = lookup.findVarHandle(Job.class, "next", int.class);
                COMPLETED = lookup.findVarHandle(Job.class, "completed", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Thread caller = Thread.currentThread();
        volatile int next;
        volatile int completed;
        volatile Throwable failure;

        Job(RangeBody body, int n, int chunk, int chunks) {
            this.body = body;
            this.n = n;
            this.chunk = chunk;
            this.chunks = chunks;
        }

        void work() {
            for (int c; (c = (int) NEXT.getAndAdd(this, 1)) < chunks; ) {
                // after a failure the remaining chunks are only counted off
                if (failure == null) {
                    try {
                        int start = c * chunk;
                        body.run(start, Math.min(n, start + chunk));
                    } catch (Throwable t) {
                        failure = t;
                    }
                }
                if ((int) COMPLETED.getAndAdd(this, 1) + 1 == chunks) {
                    LockSupport.unpark(caller);
                }
            }
        }

        void awaitChunks() {
            for (int spin = 0; completed < chunks; spin++) {
                if (spin < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
        }
    }

    private final class Worker extends Thread {
        private final AtomicReference<Job> mailbox = new AtomicReference<>();

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void post(Job job) {
            mailbox.set(job);
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (!closed) {
                Job job = mailbox.get();
                for (int spin = 0; job == null && !closed; spin++) {
                    if (spin < SPINS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                    job = mailbox.get();
                }
                if (job == null) {
                    return;
                }
                // only clears the job taken: a newer one posted meanwhile stays for the next round
                mailbox.compareAndSet(job, null);
                job.work();
            }
        }
    }
}
