package io.github.jdalle.cuda;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.BackendProvider;

/**
 * Registers the CUDA backend as {@code "cuda"} with {@link io.github.jdalle.core.Backends}. Constructing the
 * provider touches no native code; the CUDA libraries are loaded the first time {@link #unavailableReason()}
 * or {@link #create} runs, and a machine without them only gets a reason back.
 */
public final class CudaBackendProvider implements BackendProvider {
    /** Called by the service loader. */
    public CudaBackendProvider() {
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** Why CUDA cannot run here: no driver or runtime library, no GPU, a GPU older than Ampere; null when it can. */
    @Override
    public String unavailableReason() {
        return CudaDriver.unavailableReason();
    }

    /** A backend on the GPU; {@code threads} is ignored, as the GPU backend has no host worker pool. */
    @Override
    public Backend create(int threads) {
        return new CudaBackend();
    }
}
