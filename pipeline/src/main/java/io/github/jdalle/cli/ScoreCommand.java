package io.github.jdalle.cli;

import io.github.jdalle.ModelFiles;
import io.github.jdalle.clip.ClipModel;
import io.github.jdalle.clip.Ranking;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.vqgan.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code jdalle score --text PROMPT IMAGE...}: how well each picture matches a prompt, by CLIP. */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score pictures against a prompt with CLIP (exp(logit_scale) · cosine similarity): one line per "
                + "picture, its path, a tab and its score, in the order given.")
final class ScoreCommand extends CliCommand {
    @Option(names = "--text", required = true, paramLabel = "PROMPT", description = "The prompt to score against.")
    String text;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Pictures to score (any size; CLIP resizes them).")
    List<Path> images;

    @Mixin
    Options.Clip clip;
    @Mixin
    Options.Cache cache;
    @Mixin
    Options.Compute compute;

    @Override
    void run() {
        Path file = ModelSelection.single(cache.cache(), this, ModelKind.CLIP, clip.value);
        List<RgbImage> pictures = images.stream().map(Images::read).toList();
        try (WeightSource source = ModelFiles.open(file, ModelKind.CLIP); Backend backend = compute.create()) {
            Ranking ranking = ClipModel.load(source, backend).rank(text, pictures);
            float[] scores = ranking.scores();
            for (int i = 0; i < images.size(); i++) {
                out().println(images.get(i) + "\t" + scores[i]);
            }
        }
    }
}
