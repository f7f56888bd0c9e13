package io.github.jdalle.core.testing;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/** Random host tensors for kernel tests: uniform values rounded to the storage dtype, or random ids. */
public final class RandomTensors {
    private RandomTensors() {
    }

    /** Values uniform in [−scale, scale), stored as {@code dtype} (so the tensor holds exactly what it reads back). */
    public static Tensor uniform(SplittableRandom random, DType dtype, float scale, int... shape) {
        Tensor t = Tensor.allocate(Arena.ofAuto(), dtype, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            t.setFloat(i, (float) ((random.nextDouble() * 2 - 1) * scale));
        }
        return t;
    }

    /** I32 values uniform in [0, bound). */
    public static Tensor ints(SplittableRandom random, int bound, int... shape) {
        Tensor t = Tensor.allocate(Arena.ofAuto(), DType.I32, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            t.setInt(i, random.nextInt(bound));
        }
        return t;
    }

    /** A zero-filled F32 tensor. */
    public static Tensor zeros(int... shape) {
        return Tensor.allocate(Arena.ofAuto(), DType.F32, shape);
    }
}
