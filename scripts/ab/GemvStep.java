import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The 73 GEMVs of a mini-1 decoder step alone (12 layers: the query/key/value projections together, the
 * self-attention output, the cross-attention query and output, the GLU's two inputs together and its output; then
 * the lm_head) over random weights, for {@code AlternatingRuns}. Constructor arguments: dtype, rows of A.
 */
public final class GemvStep {
    private static final int WIDTH = 1024;
    private static final int FFN = 2730;
    private static final int VOCAB = 16385;
    private static final int LAYERS = 12;

    private final Backend backend = Backends.cpu(0);
    private final List<Tensor[]> layers = new ArrayList<>();
    private final Tensor head;
    private final Tensor x;
    private final Tensor xWide;
    private final Tensor[] outs = new Tensor[3];
    private final Tensor[] outsWide = new Tensor[2];
    private final Tensor logits;

    public GemvStep(String dtypeName, String rowsText) {
        DType dtype = DType.valueOf(dtypeName);
        int rows = Integer.parseInt(rowsText);
        SplittableRandom random = new SplittableRandom(1);
        for (int l = 0; l < LAYERS; l++) {
            Tensor[] w = new Tensor[9];
            for (int i = 0; i < 6; i++) {
                w[i] = RandomTensors.uniform(random, dtype, 0.05f, WIDTH, WIDTH);
            }
            w[6] = RandomTensors.uniform(random, dtype, 0.05f, WIDTH, FFN);
            w[7] = RandomTensors.uniform(random, dtype, 0.05f, WIDTH, FFN);
            w[8] = RandomTensors.uniform(random, dtype, 0.05f, FFN, WIDTH);
            layers.add(w);
        }
        head = RandomTensors.uniform(random, dtype, 0.05f, WIDTH, VOCAB);
        x = RandomTensors.uniform(random, DType.F32, 1f, rows, WIDTH);
        xWide = RandomTensors.uniform(random, DType.F32, 1f, rows, FFN);
        for (int i = 0; i < outs.length; i++) {
            outs[i] = RandomTensors.zeros(rows, WIDTH);
        }
        outsWide[0] = RandomTensors.zeros(rows, FFN);
        outsWide[1] = RandomTensors.zeros(rows, FFN);
        logits = RandomTensors.zeros(rows, VOCAB);
    }

    /** The milliseconds of each of {@code steps} steps. */
    public double[] time(int steps) {
        double[] ms = new double[steps];
        for (int s = 0; s < steps; s++) {
            long start = System.nanoTime();
            for (Tensor[] w : layers) {
                backend.matmulEach(x, new Tensor[] {w[0], w[1], w[2]}, outs);
                backend.matmul(x, w[3], null, outs[0]);
                backend.matmul(x, w[4], null, outs[0]);
                backend.matmul(x, w[5], null, outs[0]);
                backend.matmulEach(x, new Tensor[] {w[6], w[7]}, outsWide);
                backend.matmul(xWide, w[8], null, outs[0]);
            }
            backend.matmul(x, head, null, logits);
            ms[s] = (System.nanoTime() - start) / 1e6;
        }
        return ms;
    }
}
