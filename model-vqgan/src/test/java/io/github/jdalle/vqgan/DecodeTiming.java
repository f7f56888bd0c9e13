package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.testing.RandomWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Times decodes with random weights of the real f16-16384 size (the numbers are meaningful, the pictures are
 * not): seconds per picture, GFLOP/s (2 FLOP per multiply-add of {@link VqganConfig#decoderMultiplyAdds}) and
 * the growth of the process's peak resident memory during the decodes (activations, on top of the weights).
 * Arguments: {@code [grid edge in tokens, default 16] [decodes, default 1] [backend, default cpu] [threads, 0 = all]}.
 * The JMH benchmark in {@code benchmarks} is the reference measurement; this is the quick look.
 */
public final class DecodeTiming {
    private DecodeTiming() {
    }

    public static void main(String[] args) throws IOException {
        int grid = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int decodes = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String backendName = args.length > 2 ? args[2] : "cpu";
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        VqganConfig config = VqganConfig.imagenetF16x16384();
        try (Backend backend = Backends.create(backendName, threads);
             RandomWeights weights = RandomWeights.of(config.parameterShapes(), null, 1)) {
            VqganDecoder decoder = new VqganDecoder(config, Weights.of(weights, backend));
            int[] tokens = new SplittableRandom(2).ints(grid * grid, 0, config.codebookSize()).toArray();
            long peakBefore = peakResidentKilobytes();
            double flop = 2.0 * config.decoderMultiplyAdds(grid, grid);
            for (int run = 0; run < decodes; run++) {
                long start = System.nanoTime();
                decoder.decode(tokens, grid, grid);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("%s: %d×%d tokens → %d×%d pixels in %.3f s, %.1f GFLOP/s%n", backend.name(), grid, grid,
                        grid * config.downsamplingFactor(), grid * config.downsamplingFactor(), seconds, flop / seconds / 1e9);
            }
            System.out.printf("peak resident memory grew by %.0f MB during the decodes (largest activation %.0f MB)%n",
                    (peakResidentKilobytes() - peakBefore) / 1024.0, config.largestActivation(grid, grid) * 4 / 1e6);
        }
    }

    /** VmHWM of /proc/self/status (Linux), or -1 where it is not available. */
    private static long peakResidentKilobytes() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        return Files.readAllLines(status).stream().filter(line -> line.startsWith("VmHWM:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
