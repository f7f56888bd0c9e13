package io.github.jdalle.bench;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

import java.util.SplittableRandom;

/** Deterministic random inputs: the same seed gives the same tensor, so every run measures the same data. */
public final class RandomTensors {
    private RandomTensors() {
    }

    /**
     * A tensor of {@code shape} from {@code workspace}, uniform in {@code [-1, 1)}, stored as {@code dtype}.
     * The values stay far from the F16 subnormal range except by rare chance.
     */
    public static Tensor uniform(Workspace workspace, DType dtype, long seed, int... shape) {
        return fill(workspace.allocate(dtype, shape), seed);
    }

    /** Overwrites a host float tensor with values uniform in {@code [-1, 1)}; returns it. */
    public static Tensor fill(Tensor tensor, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long count = tensor.elementCount();
        for (long i = 0; i < count; i++) {
            tensor.setFloat(i, (float) (2 * random.nextDouble() - 1));
        }
        return tensor;
    }
}
