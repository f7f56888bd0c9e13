package io.github.jdalle.cli;

import io.github.jdalle.ModelFiles;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.vqgan.Images;
import io.github.jdalle.vqgan.VqganDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code jdalle decode --tokens FILE -o OUT.png}: image tokens to pictures with the VQGAN decoder. */
@Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Decode image tokens to PNG pictures with the VQGAN decoder.",
                "The token file holds one picture per line (as 'jdalle tokens' prints): a square grid of ids, or any "
                        + "rectangle with --grid-width. One picture is written to OUT; several to OUT-0.png, OUT-1.png..."})
final class DecodeCommand extends CliCommand {
    @Option(names = "--tokens", required = true, paramLabel = "FILE", description = "Token file ('-' for stdin).")
    Path tokens;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT.png", description = "The picture to write.")
    Path output;

    @Option(names = "--grid-width", paramLabel = "W", description = "Tokens per grid row (default: a square grid).")
    Integer gridWidth;

    @Mixin
    Options.Vqgan vqgan;
    @Mixin
    Options.Cache cache;
    @Mixin
    Options.Compute compute;

    @Override
    void run() throws IOException {
        List<TokenFile.Line> pictures = TokenFile.read(tokens);
        Path file = ModelSelection.single(cache.cache(), this, ModelKind.VQGAN, vqgan.value);
        Path folder = output.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        try (WeightSource source = ModelFiles.open(file, ModelKind.VQGAN); Backend backend = compute.create()) {
            VqganDecoder decoder = VqganDecoder.load(source, backend);
            for (int i = 0; i < pictures.size(); i++) {
                int[] ids = pictures.get(i).tokens();
                int width = gridWidth != null ? gridWidth : squareSide(ids.length, pictures.get(i).number());
                if (width <= 0 || ids.length % width != 0) {
                    throw new JdalleException(tokens + ":" + pictures.get(i).number() + ": " + ids.length
                            + " tokens do not fill rows of " + width);
                }
                RgbImage picture = decoder.decode(ids, ids.length / width, width);
                Path target = pictures.size() == 1 ? output : numbered(output, i);
                Images.writePng(picture, Map.of("Software", "jdalle 0.1.0", "tokens", TokenFile.line(ids)), target);
                out().println(target);
            }
        }
    }

    private int squareSide(int count, int line) {
        int side = (int) Math.round(Math.sqrt(count));
        if (side * side != count) {
            throw new JdalleException(tokens + ":" + line + ": " + count + " tokens do not form a square grid; "
                    + "give its width with --grid-width");
        }
        return side;
    }

    /** {@code out.png} → {@code out-3.png}. */
    private static Path numbered(Path file, int index) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String extension = dot > 0 ? name.substring(dot) : ".png";
        return file.resolveSibling(stem + "-" + index + extension);
    }
}
