package io.github.jdalle.dallebart;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.testing.RandomWeights;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times generation with random weights of the real mini-1 or mega-1 size (the numbers are meaningful, the tokens
 * are not): for each image count, one generation through {@link DalleBartGenerator} (the encoder over the prompt
 * and the unconditional prompt, then per step the decoder over its KV cache for 2 rows per image and guided top-k
 * sampling), reported as encoder time, first step, the mean of the later steps and the total. A step is bounded
 * below by the weights it reads ({@link DalleBartConfig#stepWeightCount}) over the memory bandwidth; that floor is
 * printed for 20 GB/s (a desktop's DRAM) and 4.8 TB/s (an H200's HBM3e).
 * Arguments: {@code [mini|mega, default mini] [F32|F16|BF16, default F32] [image counts, default 1,9]
 * [steps per generation, default 256] [backend, default cpu] [threads, 0 = all]}.
 * The JMH benchmark in {@code benchmarks} is the reference measurement; this is the quick look.
 */
public final class StepTiming {
    private static final double CPU_MEMORY_BYTES_PER_SECOND = 20e9;
    private static final double H200_MEMORY_BYTES_PER_SECOND = 4.8e12;
    private static final int PROMPT_TOKENS = 12;

    private StepTiming() {
    }

    public static void main(String[] args) {
        String modelName = args.length > 0 ? args[0] : "mini";
        DalleBartConfig config = switch (modelName) {
            case "mini" -> DalleBartConfig.mini1();
            case "mega" -> DalleBartConfig.mega1();
            default -> throw new JdalleException("unknown model '" + modelName + "' (mini or mega)");
        };
        DType dtype = args.length > 1 ? DType.valueOf(args[1]) : DType.F32;
        int[] imageCounts = Arrays.stream((args.length > 2 ? args[2] : "1,9").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : config.imageLength();
        String backendName = args.length > 4 ? args[4] : "cpu";
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        try (Backend backend = Backends.create(backendName, threads);
             RandomWeights weights = RandomWeights.of(config.parameterShapes(), config.toJson(), 1, dtype)) {
            long start = System.nanoTime();
            weights.paths().forEach(weights::tensor);     // drawn here, so that loading times the upload alone
            double drawSeconds = secondsSince(start);
            start = System.nanoTime();
            DalleBartGenerator generator = new DalleBartGenerator(DalleBart.load(weights, backend));
            backend.synchronize();
            System.out.printf("%s-1 %s on %s: random weights drawn in %.1f s, loaded in %.1f s%n", modelName, dtype,
                    backend.name(), drawSeconds, secondsSince(start));
            double stepBytes = (double) config.stepWeightCount() * dtype.byteSize();
            System.out.printf("a step reads %.2f GB of weights: at least %.1f ms at 20 GB/s (CPU memory), "
                            + "%.2f ms at 4.8 TB/s (H200 HBM3e)%n", stepBytes / 1e9,
                    1e3 * stepBytes / CPU_MEMORY_BYTES_PER_SECOND, 1e3 * stepBytes / H200_MEMORY_BYTES_PER_SECOND);
            PromptTokens prompt = randomPrompt(config);
            generate(generator, prompt, imageCounts[0], Math.min(2, steps));   // warm-up: JIT, kernel loading
            for (int images : imageCounts) {
                long[] ends = generate(generator, prompt, images, steps);
                double encoderMs = (ends[1] - ends[0]) / 1e6;
                double firstStepMs = (ends[2] - ends[1]) / 1e6;
                String later = steps > 1 ? String.format(", then %.2f ms/step", (ends[steps + 1] - ends[2]) / 1e6
                        / (steps - 1)) : "";
                System.out.printf("%d image%s: encoder %.1f ms, first step %.1f ms%s; encoder + %d steps in %.3f s%n",
                        images, images == 1 ? "" : "s", encoderMs, firstStepMs, later, steps,
                        (ends[steps + 1] - ends[0]) / 1e9);
            }
        }
    }

    /**
     * Runs one generation of {@code images} images for {@code steps} steps and returns its clock readings: the
     * start, the end of the encoder, the end of each step.
     */
    static long[] generate(DalleBartGenerator generator, PromptTokens prompt, int images, int steps) {
        Backend backend = generator.model().backend();
        long[] clock = new long[steps + 2];
        CancellationToken stop = new CancellationToken();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void onEncoded() {
                backend.synchronize();     // the encoder's kernels may still run on a GPU
                clock[1] = System.nanoTime();
            }

            @Override
            public void onStep(int step, int totalSteps, int[][] tokensSoFar) {
                clock[step + 2] = System.nanoTime();   // the sampled tokens are on the host: the step is done
                if (step + 1 == steps) {
                    stop.cancel();
                }
            }
        };
        clock[0] = System.nanoTime();
        try {
            generator.generate(SamplingRequest.of(prompt, images, 7), listener, stop);
        } catch (GenerationCancelledException e) {
            // stopped after the steps asked for
        }
        return clock;
    }

    /** {@code <s>}, random text ids, {@code </s>}, padding: the shape of a short prompt. */
    static PromptTokens randomPrompt(DalleBartConfig config) {
        int[] ids = new int[config.maxTextLength()];
        int[] mask = new int[ids.length];
        Arrays.fill(ids, PromptTokens.PAD);
        SplittableRandom random = new SplittableRandom(3);
        ids[0] = PromptTokens.BOS;
        for (int i = 1; i <= PROMPT_TOKENS; i++) {
            ids[i] = random.nextInt(3, config.encoderVocabSize());
        }
        ids[PROMPT_TOKENS + 1] = PromptTokens.EOS;
        Arrays.fill(mask, 0, PROMPT_TOKENS + 2, 1);
        return new PromptTokens(ids, mask);
    }

    private static double secondsSince(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
