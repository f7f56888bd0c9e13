import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import java.util.SplittableRandom;

/**
 * One square GEMM (size × size)·(size × size) with weights of the given dtype, the shape of the GEMM benchmark, for
 * {@code AlternatingRuns}. Constructor arguments: dtype, size.
 */
public final class GemmSquare {
    private final Backend backend = Backends.cpu(0);
    private final Tensor x;
    private final Tensor weight;
    private final Tensor out;

    public GemmSquare(String dtypeName, String sizeText) {
        int size = Integer.parseInt(sizeText);
        SplittableRandom random = new SplittableRandom(1);
        x = RandomTensors.uniform(random, DType.F32, 1f, size, size);
        weight = RandomTensors.uniform(random, DType.valueOf(dtypeName), 0.05f, size, size);
        out = RandomTensors.zeros(size, size);
    }

    /** The milliseconds of each of {@code steps} multiplications. */
    public double[] time(int steps) {
        double[] ms = new double[steps];
        for (int s = 0; s < steps; s++) {
            long start = System.nanoTime();
            backend.matmul(x, weight, null, out);
            ms[s] = (System.nanoTime() - start) / 1e6;
        }
        return ms;
    }
}
