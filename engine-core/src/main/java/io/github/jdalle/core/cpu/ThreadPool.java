package io.github.jdalle.core.cpu;

import io.github.jdalle.core.JdalleException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of worker threads for the CPU kernels. {@link #parallelFor} splits {@code [0, n)} into
 * chunks handed out dynamically; the calling thread works too. Results never depend on the thread count
 * because every chunk writes a disjoint part of the output with the same arithmetic.
 *
 * <p>A decoder step is some three hundred small ops, so the hand-off is cheap: workers spin briefly after a job
 * before parking, work too small to share ({@link #grain}) runs inline on the caller, and dispatching allocates
 * nothing (one job object per pool, reused). A call from a worker, or from a second thread while the pool is busy,
 * also runs inline rather than waiting. The kernels a decoder step calls hundreds of times pass a
 * {@link ReusedBody} rather than a capturing lambda (one object per call); the large ones (convolutions, group
 * norm, big GEMMs) keep their lambdas.
 */
public final class ThreadPool implements AutoCloseable {
    /** A body over the index range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * A loop body that carries one call's operands in its fields, for the kernels a decoder step calls hundreds of
     * times: the calling thread keeps one per kernel and reuses it, so a call allocates nothing (a capturing
     * lambda is an object per call). The workers only read the fields.
     */
    abstract static class ReusedBody implements RangeBody {
        /** Runs this body over {@code [0, n)} as {@link #parallelFor} does, then drops the operands. */
        final void runOn(ThreadPool pool, int n, int grain) {
            try {
                pool.parallelFor(n, grain, this);
            } finally {
                release();
            }
        }

        /** Sets the operand fields to null: they may hold large tensors. */
        abstract void release();
    }

    /**
     * About 50 µs of vectorised work (in multiply-adds or element operations): below this, waking another
     * thread costs more than it saves, all the more on a busy machine.
     */
    private static final long MIN_TASK_COST = 500_000;
    /**
     * Spin iterations before a waiting thread parks: 0.6 ms on the Zen 3 host, where a spin-wait hint (PAUSE) takes
     * some 30 ns (measured); longer than the gaps between a decoder step's parallel ops, so that the workers stay
     * awake from one op of a step to the next.
     */
    private static final int SPINS = 20_000;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock submitting = new ReentrantLock();
    private final Job job = new Job();
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
            int generation = job.start(body, n, chunk, chunks);
            for (int i = 0, helpers = Math.min(workers.length, chunks - 1); i < helpers; i++) {
                workers[i].post(generation);
            }
            job.work(generation);
            job.awaitChunks();
            Throwable failure = job.finish();
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failure instanceof Error error) {
                throw error;
            }
            if (failure != null) {
                throw new JdalleException("a CPU worker failed", failure);
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
     * The parallel loop in progress, one object reused for every loop so that dispatching allocates nothing.
     * Chunks are claimed from a shared counter by the caller and whichever helpers wake in time. The caller waits
     * for the chunks, not for the helpers, so a helper that is slow to wake costs nothing: it finds no chunk left
     * and goes back to waiting.
     *
     * <p>A late helper may still hold the number of a loop that has ended, so the claim counter carries the loop's
     * generation in its upper half and a claim is a compare-and-set of both: it fails once the loop is over. A new
     * loop first moves the counter to its generation with no chunks left, then sets its fields, then opens the
     * counter; all fields are volatile, so a helper that read a new field fails its claim. A claimed chunk keeps
     * its loop from ending, so the fields it reads after the claim stay those of its loop.
     */
    private static final class Job {
        private static final VarHandle STATE;
        private static final VarHandle COMPLETED;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                STATE = lookup.findVarHandle(Job.class, "state", long.class);
                COMPLETED = lookup.findVarHandle(Job.class, "completed", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** The generation (upper 32 bits) and the next chunk to claim (lower 32 bits). */
        volatile long state;
        volatile RangeBody body;
        volatile int n;
        volatile int chunk;
        volatile int chunks;
        volatile Thread caller;
        volatile int completed;
        volatile Throwable failure;
        private int generation;

        /** Opens a loop (the caller holds the pool's submit lock) and returns its generation. */
        int start(RangeBody body, int n, int chunk, int chunks) {
            generation++;
            state = claims(generation, Integer.MAX_VALUE);
            this.body = body;
            this.n = n;
            this.chunk = chunk;
            this.chunks = chunks;
            this.caller = Thread.currentThread();
            this.completed = 0;
            this.failure = null;
            state = claims(generation, 0);
            return generation;
        }

        /** Ends the loop after {@link #awaitChunks}: drops the body (it may hold large tensors), returns a failure. */
        Throwable finish() {
            body = null;
            return failure;
        }

        void work(int generation) {
            for (long s = state; (int) (s >>> 32) == generation; s = state) {
                int c = (int) s;
                int count = chunks;
                if (c >= count) {
                    return;
                }
                if (!STATE.compareAndSet(this, s, s + 1)) {
                    continue;
                }
                // after a failure the remaining chunks are only counted off
                if (failure == null) {
                    try {
                        int start = c * chunk;
                        body.run(start, Math.min(n, start + chunk));
                    } catch (Throwable t) {
                        failure = t;
                    }
                }
                Thread waiting = caller;
                if ((int) COMPLETED.getAndAdd(this, 1) + 1 == count) {
                    LockSupport.unpark(waiting);
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

        private static long claims(int generation, int next) {
            return (long) generation << 32 | next;
        }
    }

    private final class Worker extends Thread {
        /** The generation of the newest loop posted to this worker (0: none yet). */
        private volatile int posted;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void post(int generation) {
            posted = generation;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            int done = 0;
            while (!closed) {
                for (int spin = 0; posted == done && !closed; spin++) {
                    if (spin < SPINS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                if (closed) {
                    return;
                }
                // a loop posted while this one ran is taken next round; one already over is left at once
                done = posted;
                job.work(done);
            }
        }
    }
}
