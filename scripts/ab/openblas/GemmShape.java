import io.github.jdalle.bench.peers.OpenBlas;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import java.util.SplittableRandom;

/**
 * The OpenBLAS peer of {@code GemmShape} (same class name, same operands), for {@code scripts/ab.sh REV openblas
 * gemm F32 SHAPE}: F32 weights only; {@code -Dab.threads=N} sets OpenBLAS's thread count.
 */
public final class GemmShape {
    private final OpenBlas.Sgemm sgemm;

    public GemmShape(String dtypeName, String shapeText) {
        if (DType.valueOf(dtypeName) != DType.F32) {
            throw new IllegalArgumentException("OpenBLAS multiplies F32 weights only, got " + dtypeName);
        }
        String[] sizes = shapeText.split("x");
        int m = Integer.parseInt(sizes[0]);
        int k = sizes.length == 3 ? Integer.parseInt(sizes[1]) : m;
        int n = sizes.length == 3 ? Integer.parseInt(sizes[2]) : m;
        SplittableRandom random = new SplittableRandom(1);
        Tensor x = RandomTensors.uniform(random, DType.F32, 1f, m, k);
        Tensor weight = RandomTensors.uniform(random, DType.F32, 0.05f, k, n);
        Tensor out = RandomTensors.zeros(m, n);
        OpenBlas.useThreads(Integer.getInteger("ab.threads", Runtime.getRuntime().availableProcessors()));
        sgemm = OpenBlas.Sgemm.of(x, weight, out);
    }

    /** The milliseconds of each of {@code steps} multiplications. */
    public double[] time(int steps) {
        double[] ms = new double[steps];
        for (int s = 0; s < steps; s++) {
            long start = System.nanoTime();
            sgemm.run();
            ms[s] = (System.nanoTime() - start) / 1e6;
        }
        return ms;
    }
}
