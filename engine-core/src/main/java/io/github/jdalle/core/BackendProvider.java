package io.github.jdalle.core;

/**
 * Service-provider hook through which optional backends (the CUDA one lives in {@code engine-cuda}) make
 * themselves known to {@link Backends} without engine-core depending on them. Registered with
 * {@code META-INF/services/io.github.jdalle.core.BackendProvider}.
 */
public interface BackendProvider {
    /** The name users pass, e.g. {@code "cuda"}. */
    String name();

    /** Why this backend cannot run here (no driver, no GPU), or null when it can. */
    String unavailableReason();

    /** A new backend; {@code threads} sizes any host-side pool (0 = one per core). */
    Backend create(int threads);
}
