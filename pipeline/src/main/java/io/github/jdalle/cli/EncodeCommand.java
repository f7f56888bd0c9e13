package io.github.jdalle.cli;

import io.github.jdalle.ModelFiles;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.vqgan.Images;
import io.github.jdalle.vqgan.VqganEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code jdalle encode IMAGE...}: pictures to image tokens with the VQGAN encoder. */
@Command(name = "encode", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Encode pictures (PNG, JPEG; sides a multiple of 16 pixels, 256 × 256 for DALL·E Mini) to image "
                + "tokens with the VQGAN encoder: one line per picture, as 'jdalle decode' reads them.")
final class EncodeCommand extends CliCommand {
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Pictures to encode.")
    List<Path> images;

    @Mixin
    Options.Vqgan vqgan;
    @Mixin
    Options.Cache cache;
    @Mixin
    Options.Compute compute;

    @Override
    void run() {
        Path file = ModelSelection.single(cache.cache(), this, ModelKind.VQGAN, vqgan.value);
        try (WeightSource source = ModelFiles.open(file, ModelKind.VQGAN); Backend backend = compute.create()) {
            VqganEncoder encoder = VqganEncoder.load(source, backend);
            for (Path image : images) {
                out().println(TokenFile.line(encoder.encode(Images.read(image))));
            }
        }
    }
}
