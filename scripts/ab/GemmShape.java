import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import java.util.SplittableRandom;

/**
 * One GEMM (M × K)·(K × N) with weights of the given dtype, for {@code AlternatingRuns}. Constructor arguments:
 * dtype, and the size of a square GEMM (the GEMM benchmark's shape) or {@code MxKxN}.
 */
public final class GemmShape {
    private final Backend backend = Backends.cpu(Integer.getInteger("ab.threads", 0));
    private final Tensor x;
    private final Tensor weight;
    private final Tensor out;

    public GemmShape(String dtypeName, String shapeText) {
        String[] sizes = shapeText.split("x");
        int m = Integer.parseInt(sizes[0]);
        int k = sizes.length == 3 ? Integer.parseInt(sizes[1]) : m;
        int n = sizes.length == 3 ? Integer.parseInt(sizes[2]) : m;
        SplittableRandom random = new SplittableRandom(1);
        x = RandomTensors.uniform(random, DType.F32, 1f, m, k);
        weight = RandomTensors.uniform(random, DType.valueOf(dtypeName), 0.05f, k, n);
        out = RandomTensors.zeros(m, n);
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
