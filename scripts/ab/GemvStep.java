import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomTensors;
import io.github.jdalle.dallebart.DalleBartConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The GEMVs of a mini-1 decoder step alone, per layer the query/key/value projections together, the self-attention
 * output, the cross-attention query and output, the GLU's two inputs together and its output, then the lm_head (73
 * calls), over random weights of {@link DalleBartConfig#mini1()}'s shapes, for {@code AlternatingRuns}.
 * Constructor arguments: dtype, rows of A.
 */
public final class GemvStep {
    /** One decoder layer's weights, grouped as the step calls them. */
    private record Layer(Tensor[] queryKeyValue, Tensor selfOut, Tensor crossQuery, Tensor crossOut, Tensor[] gluIn,
                         Tensor gluOut) {
    }

    private final Backend backend = Backends.cpu(Integer.getInteger("ab.threads", 0));
    private final List<Layer> layers = new ArrayList<>();
    private final Tensor head;
    private final Tensor x;
    private final Tensor xWide;
    private final Tensor[] outs;
    private final Tensor[] outsWide;
    private final Tensor logits;

    public GemvStep(String dtypeName, String rowsText) {
        DalleBartConfig config = DalleBartConfig.mini1();
        DType dtype = DType.valueOf(dtypeName);
        int rows = Integer.parseInt(rowsText);
        int width = config.dModel();
        int ffn = config.decoderFfnDim();
        SplittableRandom random = new SplittableRandom(1);
        for (int l = 0; l < config.decoderLayers(); l++) {
            layers.add(new Layer(
                    new Tensor[] {weight(random, dtype, width, width), weight(random, dtype, width, width),
                        weight(random, dtype, width, width)},
                    weight(random, dtype, width, width), weight(random, dtype, width, width),
                    weight(random, dtype, width, width),
                    new Tensor[] {weight(random, dtype, width, ffn), weight(random, dtype, width, ffn)},
                    weight(random, dtype, ffn, width)));
        }
        head = weight(random, dtype, width, config.decoderVocabSize());
        x = RandomTensors.uniform(random, DType.F32, 1f, rows, width);
        xWide = RandomTensors.uniform(random, DType.F32, 1f, rows, ffn);
        outs = new Tensor[] {RandomTensors.zeros(rows, width), RandomTensors.zeros(rows, width),
            RandomTensors.zeros(rows, width)};
        outsWide = new Tensor[] {RandomTensors.zeros(rows, ffn), RandomTensors.zeros(rows, ffn)};
        logits = RandomTensors.zeros(rows, config.decoderVocabSize());
    }

    private static Tensor weight(SplittableRandom random, DType dtype, int in, int out) {
        return RandomTensors.uniform(random, dtype, 0.05f, in, out);
    }

    /** The milliseconds of each of {@code steps} steps. */
    public double[] time(int steps) {
        double[] ms = new double[steps];
        for (int s = 0; s < steps; s++) {
            long start = System.nanoTime();
            for (Layer layer : layers) {
                backend.matmulEach(x, layer.queryKeyValue(), outs);
                backend.matmul(x, layer.selfOut(), null, outs[0]);
                backend.matmul(x, layer.crossQuery(), null, outs[0]);
                backend.matmul(x, layer.crossOut(), null, outs[0]);
                backend.matmulEach(x, layer.gluIn(), outsWide);
                backend.matmul(xWide, layer.gluOut(), null, outs[0]);
            }
            backend.matmul(x, head, null, logits);
            ms[s] = (System.nanoTime() - start) / 1e6;
        }
        return ms;
    }
}
