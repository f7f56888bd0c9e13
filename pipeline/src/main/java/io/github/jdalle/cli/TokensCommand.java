package io.github.jdalle.cli;

import io.github.jdalle.DalleMini;
import io.github.jdalle.GenerationListener;
import io.github.jdalle.GenerationRequest;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.dallebart.CancellationToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code jdalle tokens PROMPT...}: only the image tokens, one line per picture; no VQGAN needed. */
@Command(name = "tokens", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print the image tokens of each picture, one line per picture (prompt by prompt), "
                + "space-separated, row-major over the token grid. Only the DalleBart model is needed.",
                "--top-k 1 is greedy. Pictures are numbered as in generate."})
final class TokensCommand extends CliCommand {
    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "One or more prompts.")
    List<String> prompts;

    @Mixin
    Options.Sampling sampling;
    @Mixin
    Options.Model model;
    @Mixin
    Options.Cache cache;
    @Mixin
    Options.Compute compute;

    @Override
    void run() {
        GenerationRequest request = sampling.request(prompts, this);
        Path file = ModelSelection.single(cache.cache(), this, ModelKind.DALLE_BART, model.value);
        try (DalleMini dalle = compute.builder().dallebart(file).build()) {
            ProgressBar bar = new ProgressBar(err(), true);
            int[][] tokens = dalle.tokens(request, new GenerationListener() {
                @Override
                public void onStep(int step, int totalSteps) {
                    bar.steps("decoding", step + 1, totalSteps);
                }
            }, new CancellationToken());
            bar.done();
            for (int[] picture : tokens) {
                out().println(TokenFile.line(picture));
            }
        }
    }
}
