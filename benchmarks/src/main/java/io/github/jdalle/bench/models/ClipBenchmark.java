package io.github.jdalle.bench.models;

import io.github.jdalle.bench.BenchmarkBase;
import io.github.jdalle.bench.Work;
import io.github.jdalle.clip.ClipConfig;
import io.github.jdalle.clip.ClipModel;
import io.github.jdalle.clip.Ranking;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.RandomWeights;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * CLIP ViT-B/32 re-ranking on random weights of the real shapes: {@link ClipModel#rank} of 256 × 256 pictures
 * against one prompt, as the pipeline calls it: bicubic resize to 224 and crop, the vision tower for every
 * picture, the text tower once, the scaled cosine similarities.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ClipBenchmark extends BenchmarkBase {
    static final String PROMPT = "an armchair in the shape of an avocado";
    static final int PICTURE = 256;

    @Param({"1", "8"})
    public int images;

    @Param({ALL_THREADS})
    public String threads;

    private Backend backend;
    private RandomWeights source;
    private ClipModel model;
    private List<RgbImage> pictures;

    @Setup
    public void setUp() {
        ClipConfig config = ClipConfig.vitBasePatch32();
        backend = Backends.cpu(threadCount(threads));
        source = ClipCheckpoint.random(config, 1);
        model = ClipModel.load(config, source, ClipCheckpoint.wordTokenizer(PROMPT.split(" ")), backend);
        SplittableRandom random = new SplittableRandom(2);
        pictures = IntStream.range(0, images).mapToObj(i -> {
            byte[] pixels = new byte[PICTURE * PICTURE * RgbImage.CHANNELS];
            random.nextBytes(pixels);
            return new RgbImage(PICTURE, PICTURE, pixels);
        }).toList();
    }

    @TearDown
    public void tearDown() {
        source.close();
        backend.close();
    }

    @Benchmark
    public Ranking score() {
        return model.rank(PROMPT, pictures);
    }

    /**
     * The vision tower per picture (patch embedding, 50 tokens through every layer) and the text tower once
     * over the prompt's tokens; every weight of both towers is read once.
     */
    public static Work work(String method, Map<String, String> params) {
        ClipConfig config = ClipConfig.vitBasePatch32();
        ClipConfig.Vision vision = config.vision();
        ClipConfig.Text text = config.text();
        int images = Integer.parseInt(params.get("images"));
        double patchFlops = 2.0 * (vision.tokenCount() - 1) * vision.patchSize() * vision.patchSize() * 3
                * vision.hiddenSize();
        double visionFlops = patchFlops + towerFlops(vision.tokenCount(), vision.layers(), vision.hiddenSize(),
                vision.intermediateSize());
        int promptTokens = PROMPT.split(" ").length + 2;                          // one per word, start and end
        double textFlops = towerFlops(promptTokens, text.layers(), text.hiddenSize(), text.intermediateSize());
        double weightBytes = 4.0 * ClipCheckpoint.parameterShapes(config).entrySet().stream()
                .filter(e -> !e.getKey().contains("token_embedding"))
                .mapToLong(e -> Tensor.elementCount(e.getValue())).sum();
        return new Work("CLIP score, " + images + " images" + Work.threads(params.get("threads")),
                images * visionFlops + textFlops, weightBytes);
    }

    /** {@code tokens} through {@code layers} transformer layers: projections, MLP and attention. */
    private static double towerFlops(int tokens, int layers, int width, int hidden) {
        double perLayer = 2.0 * tokens * (4.0 * width * width + 2.0 * width * hidden) + 4.0 * tokens * tokens * width;
        return layers * perLayer;
    }
}
