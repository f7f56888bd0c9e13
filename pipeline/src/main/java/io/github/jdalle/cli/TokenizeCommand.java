package io.github.jdalle.cli;

import io.github.jdalle.ModelFiles;
import io.github.jdalle.clip.ClipTokenizer;
import io.github.jdalle.clip.ClipTokens;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.dallebart.DalleBartConfig;
import io.github.jdalle.dallebart.text.BartTokenizer;
import io.github.jdalle.dallebart.text.TextNormalizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code jdalle tokenize --model FILE PROMPT...}: the text path on its own. For a DalleBart model, per prompt
 * the normalized text on one line and the input ids on the next; for a CLIP model, the 77 ids.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show how a model reads prompts. DalleBart: per prompt the normalized text on one line and "
                + "its input ids (64) on the next. CLIP: per prompt its 77 ids.",
                "Only the model's tokenizer files are read, no weights."})
final class TokenizeCommand extends CliCommand {
    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "One or more prompts.")
    List<String> prompts;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed that picks the words of a lone <person> tag, as in generate (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    Options.Model model;
    @Mixin
    Options.Cache cache;

    @Override
    void run() {
        Path file = ModelSelection.single(cache.cache(), this, ModelKind.DALLE_BART, model.value);
        try (WeightSource source = ModelFiles.open(file)) {
            switch (ModelFiles.kind(source)) {
                case DALLE_BART -> printDalleBart(source);
                case CLIP -> printClip(source);
                case VQGAN -> throw new JdalleException(file + " holds a VQGAN model, which has no tokenizer; "
                        + "pass a DalleBart or CLIP model");
            }
        }
    }

    private void printDalleBart(WeightSource source) {
        String config = source.config().orElseThrow(() -> new JdalleException(source.description() + " has no config.json"));
        boolean normalize = DalleBartConfig.fromJson(config, source.description()).normalizeText();
        TextNormalizer normalizer = TextNormalizer.fromAssets(source);
        BartTokenizer tokenizer = BartTokenizer.fromAssets(source);
        for (int p = 0; p < prompts.size(); p++) {
            // the <person> stream of prompt p, as the generator draws it
            String text = normalize ? normalizer.normalize(prompts.get(p), RandomStream.forImage(seed, -1L - p)) : prompts.get(p);
            out().println(text);
            out().println(TokenFile.line(tokenizer.encode(text).ids()));
        }
    }

    private void printClip(WeightSource source) {
        ClipTokens tokens = ClipTokenizer.fromAssets(source).encode(prompts);
        for (int row = 0; row < tokens.count(); row++) {
            out().println(TokenFile.line(tokens.ids(row)));
        }
    }
}
