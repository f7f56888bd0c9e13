package io.github.jdalle.core;

import java.util.Arrays;

/**
 * A prefix into a {@link WeightSource} bound to a backend, in the manner of candle's {@code VarBuilder}:
 * {@code weights.at("encoder").at("conv_in").get("kernel", 3, 3, 256, 512)} checks the shape of
 * {@code encoder/conv_in/kernel} and returns it loaded on the backend. Errors name the full path, the file,
 * and the expected and actual shapes.
 */
public final class Weights {
    private final WeightSource source;
    private final Backend backend;
    private final String prefix;

    private Weights(WeightSource source, Backend backend, String prefix) {
        this.source = source;
        this.backend = backend;
        this.prefix = prefix;
    }

    /** The root of {@code source}, loading onto {@code backend}. */
    public static Weights of(WeightSource source, Backend backend) {
        return new Weights(source, backend, "");
    }

    /** The sub-tree {@code child} (which may itself contain '/'). */
    public Weights at(String child) {
        return new Weights(source, backend, path(child));
    }

    /** The full Flax path of {@code name} under this prefix. */
    public String path(String name) {
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    public WeightSource source() {
        return source;
    }

    public Backend backend() {
        return backend;
    }

    /** True when {@code name} exists under this prefix. */
    public boolean has(String name) {
        return source.contains(path(name));
    }

    /** The tensor {@code name}, which must have exactly {@code shape}, loaded on the backend. */
    public Tensor get(String name, int... shape) {
        return backend.load(host(name, shape));
    }

    /** Like {@link #get}, or null when the source has no tensor {@code name} (e.g. a bias-only LayerNorm). */
    public Tensor getOptional(String name, int... shape) {
        return has(name) ? get(name, shape) : null;
    }

    /**
     * A vector of {@code length} elements stored either as (length) or with leading unit axes such as
     * (1, 1, 1, length), returned as (length).
     */
    public Tensor getVector(String name, int length) {
        Tensor t = source.tensor(path(name));
        int[] s = t.shape();
        boolean ok = s.length >= 1 && s[s.length - 1] == length;
        for (int i = 0; i < s.length - 1; i++) {
            ok &= s[i] == 1;
        }
        if (!ok) {
            throw mismatch(name, new int[] {length}, s);
        }
        return backend.load(t.reshape(length));
    }

    /** The host tensor {@code name} with exactly {@code shape}, not loaded on the backend. */
    public Tensor host(String name, int... shape) {
        Tensor t = source.tensor(path(name));
        if (!Arrays.equals(t.shape(), shape)) {
            throw mismatch(name, shape, t.shape());
        }
        return t;
    }

    private JdalleException mismatch(String name, int[] expected, int[] actual) {
        return new JdalleException(source.description() + ": " + path(name) + ": expected shape "
                + Arrays.toString(expected) + ", got " + Arrays.toString(actual));
    }
}
