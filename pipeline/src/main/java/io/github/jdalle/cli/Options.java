package io.github.jdalle.cli;

import io.github.jdalle.DalleMini;
import io.github.jdalle.GenerationRequest;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.sampling.SamplingSettings;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The option groups that several commands share, as picocli mixins. */
final class Options {
    private Options() {
    }

    /** {@code --model}: the DalleBart model. */
    static final class Model {
        @Option(names = "--model", paramLabel = "MODEL",
                description = "DalleBart model: mini or mega (downloaded), or a .jdw file or hub model folder. "
                        + "Default: mini if downloaded, else the bundled demo models.")
        String value;
    }

    /** {@code --vqgan}: the VQGAN model. */
    static final class Vqgan {
        @Option(names = "--vqgan", paramLabel = "MODEL",
                description = "VQGAN model: vqgan (downloaded), or a .jdw file or hub model folder.")
        String value;
    }

    /** {@code --clip}: the CLIP model. */
    static final class Clip {
        @Option(names = "--clip", paramLabel = "MODEL",
                description = "CLIP model: clip (downloaded), or a .jdw file or hub model folder.")
        String value;
    }

    /** {@code --cache}: the model cache folder. */
    static final class Cache {
        @Option(names = "--cache", paramLabel = "DIR",
                description = "Model cache folder (default: $JDALLE_HOME, else ~/.cache/jdalle).")
        Path dir;

        ModelCache cache() {
            return ModelCache.resolve(dir);
        }
    }

    /** {@code --backend}, {@code --threads}. */
    static final class Compute {
        @Option(names = "--backend", paramLabel = "NAME", defaultValue = "cpu",
                description = "cpu or cuda (default: ${DEFAULT-VALUE}).")
        String backend;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "CPU worker threads (default: one per core).")
        int threads;

        Backend create() {
            return Backends.create(backend, threads);
        }

        DalleMini.Builder builder() {
            return DalleMini.builder().backend(backend).threads(threads);
        }
    }

    /** The picture count, seed and sampling flags of {@code generate} and {@code tokens}. */
    static final class Sampling {
        @Option(names = {"-n", "--images"}, paramLabel = "N", defaultValue = "" + GenerationRequest.DEFAULT_IMAGES_PER_PROMPT,
                description = "Pictures per prompt (default: ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: a new one, printed).")
        Long seed;

        @Option(names = "--first-image", paramLabel = "K", defaultValue = "0",
                description = "Number of the first picture (default: 0). Picture k of a run is made again alone by "
                        + "-n 1 --first-image k with the same seed.")
        long firstImage;

        @Option(names = "--cond-scale", paramLabel = "C", defaultValue = "" + GenerationRequest.DEFAULT_CONDITION_SCALE,
                description = "Super-conditioning scale (default: ${DEFAULT-VALUE}; 1 turns it off).")
        float conditionScale;

        @Option(names = "--top-k", paramLabel = "K", defaultValue = "50",
                description = "Sample among the K most likely tokens (default: ${DEFAULT-VALUE}; 0 = all, 1 = greedy).")
        int topK;

        @Option(names = "--top-p", paramLabel = "P", defaultValue = "1",
                description = "Nucleus sampling mass (default: ${DEFAULT-VALUE} = off).")
        float topP;

        @Option(names = "--temperature", paramLabel = "T", defaultValue = "1",
                description = "Divide the logits by T (default: ${DEFAULT-VALUE}).")
        float temperature;

        /** The request these flags describe; a missing seed is drawn at random and noted on stderr. */
        GenerationRequest request(List<String> prompts, CliCommand command) {
            long chosenSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong(1L << 31);
            if (seed == null) {
                command.note("seed " + chosenSeed + " (drawn at random; pass --seed " + chosenSeed + " to repeat)");
            }
            return new GenerationRequest(prompts, images, chosenSeed, firstImage, conditionScale,
                    new SamplingSettings(temperature, topK, topP), 0);
        }
    }
}
