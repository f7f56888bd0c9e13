package io.github.jdalle.dallebart;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets another thread stop a generation: {@link DalleBartGenerator} checks the token before every decoder step
 * and then throws {@link GenerationCancelledException} carrying the tokens chosen so far.
 */
public final class CancellationToken {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    /** Asks the generation to stop before its next step; safe from any thread, idempotent. */
    public void cancel() {
        cancelled.set(true);
    }

    /** True once {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled.get();
    }
}
