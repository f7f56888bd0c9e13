package io.github.jdalle.cli;

import io.github.jdalle.DalleMini;
import io.github.jdalle.Generation;
import io.github.jdalle.GenerationListener;
import io.github.jdalle.GenerationRequest;
import io.github.jdalle.ModelFiles;
import io.github.jdalle.Picture;
import io.github.jdalle.PromptPictures;
import io.github.jdalle.Timings;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.dallebart.CancellationToken;
import io.github.jdalle.vqgan.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code jdalle generate PROMPT...}: pictures of prompts. Writes one PNG per picture, named
 * {@code <prompt>_s<seed>_<number>.png}, with the prompt, seed, picture number, settings, models, tokens, CLIP
 * score and the command that makes it again in PNG text chunks; optionally a grid per prompt. Prints a table of
 * files and scores on stdout (or one JSON object with {@code --json}) and the timings on stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Make pictures of prompts: one PNG per picture (metadata in PNG text chunks), ranked by CLIP.",
                "Picture k of prompt p is number first-image + p*n + k; its randomness depends only on the seed and "
                        + "that number, so '-n 1 --first-image k' with the same seed makes it again alone."})
final class GenerateCommand extends CliCommand {
    private static final String SOFTWARE = "jdalle 0.1.0";
    private static final int SLUG_LENGTH = 48;

    @Parameters(arity = "1..*", paramLabel = "PROMPT", description = "One or more prompts.")
    List<String> prompts;

    @Mixin
    Options.Sampling sampling;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = ".",
            description = "Folder for the PNG files (default: the current folder).")
    Path outFolder;

    @Option(names = "--grid", description = "Also write each prompt's pictures, best first, as one grid PNG.")
    boolean grid;

    @Option(names = "--preview-every", paramLabel = "K", defaultValue = "0",
            description = "Write a preview of each picture (<name>.preview.png) every K decoder steps; removed at the end.")
    int previewEvery;

    @Option(names = "--json", description = "Print one JSON object instead of the table and timings; no progress bar.")
    boolean json;

    @Mixin
    Options.Model model;
    @Mixin
    Options.Vqgan vqgan;
    @Mixin
    Options.Clip clip;
    @Mixin
    Options.Cache cache;
    @Mixin
    Options.Compute compute;

    /** A file written for a picture or a grid. */
    private record Written(PromptPictures prompt, Picture picture, Path file) {
    }

    @Override
    void run() throws IOException {
        GenerationRequest request = sampling.request(prompts, this).withPreviewEvery(previewEvery);
        Map<ModelKind, Path> models = ModelSelection.choose(cache.cache(), this,
                ModelSelection.required(ModelKind.DALLE_BART, model.value),
                ModelSelection.required(ModelKind.VQGAN, vqgan.value),
                ModelSelection.optional(ModelKind.CLIP, clip.value));
        Files.createDirectories(outFolder);
        try (DalleMini dalle = compute.builder().dallebart(models.get(ModelKind.DALLE_BART))
                .vqgan(models.get(ModelKind.VQGAN)).clip(models.get(ModelKind.CLIP)).build()) {
            ProgressBar bar = new ProgressBar(err(), !json);
            Generation generation = dalle.generate(request, listener(request, bar), new CancellationToken());
            bar.done();
            List<Written> pictures = writePictures(generation, models);
            List<Written> grids = grid ? writeGrids(generation) : List.of();
            if (json) {
                out().println(JsonMapper.builder().build().writeValueAsString(json(generation, models, pictures, grids, dalle)));
            } else {
                printTable(pictures, grids);
                err().println(timings(generation.timings(), dalle));
            }
        }
    }

    private GenerationListener listener(GenerationRequest request, ProgressBar bar) {
        return new GenerationListener() {
            @Override
            public void onStep(int step, int totalSteps) {
                bar.steps("decoding", step + 1, totalSteps);
            }

            @Override
            public void onPreview(int step, int totalSteps, List<RgbImage> previews) {
                for (int p = 0; p < request.prompts().size(); p++) {
                    for (int j = 0; j < request.imagesPerPrompt(); j++) {
                        Path file = previewFile(pictureFile(request.prompts().get(p), request.seed(), request.imageNumber(p, j)));
                        Images.writePng(previews.get(p * request.imagesPerPrompt() + j),
                                Map.of("Software", SOFTWARE, "preview", (step + 1) + "/" + totalSteps), file);
                    }
                }
            }
        };
    }

    private List<Written> writePictures(Generation generation, Map<ModelKind, Path> models) throws IOException {
        GenerationRequest request = generation.request();
        List<Written> written = new ArrayList<>();
        for (PromptPictures prompt : generation.prompts()) {
            for (int j = 0; j < prompt.pictures().size(); j++) {
                Picture picture = prompt.pictures().get(j);
                Path file = pictureFile(prompt.prompt(), request.seed(), picture.number());
                Images.writePng(picture.image(), metadata(request, prompt, j, models), file);
                Files.deleteIfExists(previewFile(file));
                written.add(new Written(prompt, picture, file));
            }
        }
        return written;
    }

    private List<Written> writeGrids(Generation generation) {
        GenerationRequest request = generation.request();
        List<Written> written = new ArrayList<>();
        for (PromptPictures prompt : generation.prompts()) {
            List<Picture> pictures = prompt.pictures();
            Path file = outFolder.resolve(slug(prompt.prompt()) + "_s" + request.seed() + "_" + pictures.getFirst().number()
                    + "-" + pictures.getLast().number() + "_grid.png");
            Images.writePng(prompt.grid(), Map.of("Software", SOFTWARE, "prompt", prompt.prompt(),
                    "seed", Long.toString(request.seed())), file);
            written.add(new Written(prompt, null, file));
        }
        return written;
    }

    private Path pictureFile(String prompt, long seed, long number) {
        return outFolder.resolve(slug(prompt) + "_s" + seed + "_" + number + ".png");
    }

    private static Path previewFile(Path picture) {
        String name = picture.getFileName().toString();
        return picture.resolveSibling(name.substring(0, name.length() - ".png".length()) + ".preview.png");
    }

    /** A file-name-safe short form of a prompt: ASCII letters and digits, words joined by '-'. */
    static String slug(String prompt) {
        String ascii = Normalizer.normalize(prompt, Normalizer.Form.NFKD).replaceAll("[^\\p{ASCII}]", "");
        String slug = ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        if (slug.length() > SLUG_LENGTH) {
            slug = slug.substring(0, SLUG_LENGTH).replaceAll("-[^-]*$|-$", "");
        }
        return slug.isEmpty() ? "picture" : slug;
    }

    /** The PNG text chunks of picture {@code index} of {@code prompt}. */
    private Map<String, String> metadata(GenerationRequest request, PromptPictures prompt, int index,
                                         Map<ModelKind, Path> models) {
        Picture picture = prompt.pictures().get(index);
        Map<String, String> text = new LinkedHashMap<>();
        text.put("Software", SOFTWARE);
        text.put("prompt", prompt.prompt());
        text.put("seed", Long.toString(request.seed()));
        text.put("image", Long.toString(picture.number()));
        text.put("settings", settings(request));
        text.put("models", models.entrySet().stream().map(e -> slotName(e.getKey()) + "="
                + e.getValue().getFileName()).collect(Collectors.joining(" ")));
        text.put("tokens", TokenFile.line(picture.tokens()));
        picture.score().ifPresent(score -> {
            text.put("clip score", Float.toString((float) score));
            text.put("rank", prompt.rank(index) + " of " + prompt.pictures().size());
        });
        text.put("command", command(request, prompt.prompt(), picture.number(), models));
        return text;
    }

    /** "dallebart", "vqgan" or "clip", as the metadata and the JSON name the models. */
    private static String slotName(ModelKind kind) {
        return ModelFiles.name(kind).toLowerCase(Locale.ROOT);
    }

    private static String settings(GenerationRequest request) {
        return "cond-scale " + request.conditionScale() + ", top-k " + request.sampling().topK() + ", top-p "
                + request.sampling().topP() + ", temperature " + request.sampling().temperature();
    }

    /** The command line that makes this one picture again. */
    private static String command(GenerationRequest request, String prompt, long number, Map<ModelKind, Path> models) {
        List<String> words = new ArrayList<>(List.of("jdalle", "generate", prompt, "-n", "1", "--seed",
                Long.toString(request.seed()), "--first-image", Long.toString(number),
                "--cond-scale", Float.toString(request.conditionScale()),
                "--top-k", Integer.toString(request.sampling().topK()),
                "--top-p", Float.toString(request.sampling().topP()),
                "--temperature", Float.toString(request.sampling().temperature())));
        models.forEach((kind, file) -> words.addAll(List.of(ModelSelection.flag(kind), file.toAbsolutePath().toString())));
        return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
    }

    private void printTable(List<Written> pictures, List<Written> grids) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"rank", "score", "image", "file", "prompt"});
        for (Written w : pictures) {
            int index = w.prompt().pictures().indexOf(w.picture());
            String score = w.picture().score().isPresent() ? String.format(Locale.ROOT, "%.4f", w.picture().score().getAsDouble()) : "-";
            String rank = w.picture().score().isPresent() ? Integer.toString(w.prompt().rank(index)) : "-";
            rows.add(new String[] {rank, score, Long.toString(w.picture().number()), w.file().toString(), w.prompt().prompt()});
        }
        for (Written w : grids) {
            rows.add(new String[] {"-", "-", "grid", w.file().toString(), w.prompt().prompt()});
        }
        int[] widths = new int[rows.getFirst().length];
        rows.forEach(row -> Arrays.setAll(widths, c -> Math.max(widths[c], row[c].length())));
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(c == row.length - 1 ? row[c] : String.format("%-" + widths[c] + "s  ", row[c]));
            }
            out().println(line);
        }
    }

    private static String timings(Timings t, DalleMini dalle) {
        return String.format(Locale.ROOT,
                "timings: load %s, encode %s, decode %d steps in %s (%.1f steps/s), VQGAN %s, CLIP %s, total %s on %s",
                seconds(dalle.loadTime()), seconds(t.encode()), t.decodeSteps(), seconds(t.decode()), t.stepsPerSecond(),
                seconds(t.vqgan()), seconds(t.clip()), seconds(t.total()), dalle.backendName());
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.3f s", duration.toNanos() / 1e9);
    }

    private Map<String, Object> json(Generation generation, Map<ModelKind, Path> models, List<Written> pictures,
                                     List<Written> grids, DalleMini dalle) {
        GenerationRequest request = generation.request();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("seed", request.seed());
        root.put("first_image", request.firstImage());
        root.put("images_per_prompt", request.imagesPerPrompt());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("condition_scale", request.conditionScale());
        settings.put("top_k", request.sampling().topK());
        settings.put("top_p", request.sampling().topP());
        settings.put("temperature", request.sampling().temperature());
        root.put("settings", settings);
        Map<String, Object> files = new LinkedHashMap<>();
        models.forEach((kind, file) -> files.put(slotName(kind), file.toString()));
        root.put("models", files);
        root.put("backend", dalle.backendName());
        List<Object> prompts = new ArrayList<>();
        for (PromptPictures prompt : generation.prompts()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("prompt", prompt.prompt());
            List<Object> ranked = new ArrayList<>();
            for (int index : prompt.order()) {
                Picture picture = prompt.pictures().get(index);
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("file", pictures.stream().filter(w -> w.picture() == picture).findFirst().orElseThrow().file().toString());
                p.put("image", picture.number());
                p.put("rank", picture.score().isPresent() ? prompt.rank(index) : null);
                p.put("score", picture.score().isPresent() ? (float) picture.score().getAsDouble() : null);
                p.put("tokens", picture.tokens());
                ranked.add(p);
            }
            entry.put("pictures", ranked);
            grids.stream().filter(w -> w.prompt() == prompt).findFirst().ifPresent(w -> entry.put("grid", w.file().toString()));
            prompts.add(entry);
        }
        root.put("prompts", prompts);
        Timings t = generation.timings();
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("load_s", dalle.loadTime().toNanos() / 1e9);
        timings.put("encode_s", t.encode().toNanos() / 1e9);
        timings.put("decode_s", t.decode().toNanos() / 1e9);
        timings.put("decode_steps", t.decodeSteps());
        timings.put("steps_per_second", t.stepsPerSecond());
        timings.put("vqgan_s", t.vqgan().toNanos() / 1e9);
        timings.put("clip_s", t.clip().toNanos() / 1e9);
        timings.put("total_s", t.total().toNanos() / 1e9);
        root.put("timings", timings);
        return root;
    }
}
