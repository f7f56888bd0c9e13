package io.github.jdalle.core;

import io.github.jdalle.core.cpu.CpuBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Creates backends by name: {@code "cpu"} always, others (such as {@code "cuda"}) when on the class path. */
public final class Backends {
    private Backends() {
    }

    /** The CPU backend with one thread per available core. */
    public static Backend cpu() {
        return new CpuBackend(0);
    }

    /** The CPU backend with {@code threads} worker threads (0 = one per core). */
    public static Backend cpu(int threads) {
        return new CpuBackend(threads);
    }

    /**
     * The backend called {@code name}. Throws a {@link JdalleException} saying why when it is unknown or
     * cannot run on this machine.
     */
    public static Backend create(String name, int threads) {
        if (name.equals("cpu")) {
            return cpu(threads);
        }
        List<String> known = new ArrayList<>(List.of("cpu"));
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            if (provider.name().equals(name)) {
                String reason = provider.unavailableReason();
                if (reason != null) {
                    throw new JdalleException("backend '" + name + "' is not available: " + reason);
                }
                return provider.create(threads);
            }
            known.add(provider.name());
        }
        throw new JdalleException("unknown backend '" + name + "'; known: " + String.join(", ", known));
    }
}
