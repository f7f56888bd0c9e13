package io.github.jdalle.dallebart;

import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.testing.RandomWeights;

/**
 * Whole mini-1 decoder steps over random weights, for {@code AlternatingRuns}, through {@link StepTiming}'s
 * generation (in the model's package for it). Constructor arguments: dtype, image count.
 */
public final class DecoderStep {
    private final DalleBartGenerator generator;
    private final PromptTokens prompt;
    private final int images;

    public DecoderStep(String dtypeName, String imagesText) {
        DalleBartConfig config = DalleBartConfig.mini1();
        RandomWeights weights = RandomWeights.of(config.parameterShapes(), config.toJson(), 1, DType.valueOf(dtypeName));
        generator = new DalleBartGenerator(DalleBart.load(weights, Backends.create("cpu", 0)));
        prompt = StepTiming.randomPrompt(config);
        images = Integer.parseInt(imagesText);
    }

    /** One generation stopped after {@code steps} steps: the milliseconds of each step after the first. */
    public double[] time(int steps) {
        long[] clock = StepTiming.generate(generator, prompt, images, steps);
        double[] ms = new double[steps - 1];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = (clock[i + 3] - clock[i + 2]) / 1e6;
        }
        return ms;
    }
}
