package io.github.jdalle.cli;

import io.github.jdalle.GoldenModels;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.vqgan.Images;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jdalle generate} end to end on the golden checkpoints: readable PNGs with their metadata, the JSON and
 * table outputs, and the seed property — picture k of {@code -n 3} is the picture of {@code -n 1 --first-image k}.
 */
class GenerateCommandTest {
    private static final String PROMPT = "an armchair in the shape of an avocado";
    private static final String SLUG = "an-armchair-in-the-shape-of-an-avocado";

    @Test
    void picturesOfOneRunAreThePicturesOfSingleRunsWithTheirNumbers(@TempDir Path dir) throws IOException {
        Path batch = dir.resolve("batch");
        CliRun run = CliRun.of("generate", PROMPT, "-n", "3", "--seed", "7", "--grid", "--json", "-o", batch.toString(),
                "--model", GoldenModels.dallebart().toString(), "--vqgan", GoldenModels.vqgan().toString(),
                "--clip", GoldenModels.clip().toString());
        assertEquals(0, run.exit(), run.describe());
        assertEquals(1, run.lines().size(), "--json prints one JSON object: " + run.describe());
        JsonNode json = JsonMapper.builder().build().readTree(run.out());
        assertEquals(7, json.get("seed").asLong());
        JsonNode prompt = json.get("prompts").get(0);
        assertEquals(PROMPT, prompt.get("prompt").asString());
        assertTrue(Files.isRegularFile(Path.of(prompt.get("grid").asString())));
        assertEquals(64, Images.read(Path.of(prompt.get("grid").asString())).height(), "3 pictures tile 2 × 2");

        // pictures are listed best first, each a readable PNG whose text chunks say how it was made
        List<Float> scores = new ArrayList<>();
        for (JsonNode picture : prompt.get("pictures")) {
            long number = picture.get("image").asLong();
            Path file = Path.of(picture.get("file").asString());
            assertEquals(batch.resolve(SLUG + "_s7_" + number + ".png"), file);
            assertEquals(picture.get("rank").asInt(), scores.size() + 1);
            scores.add(picture.get("score").floatValue());
            RgbImage image = Images.read(file);
            assertEquals(32, image.height());
            assertEquals(32, image.width());
            Map<String, String> text = Images.readText(file);
            assertEquals(PROMPT, text.get("prompt"));
            assertEquals("7", text.get("seed"));
            assertEquals(Long.toString(number), text.get("image"));
            assertEquals("cond-scale 10.0, top-k 50, top-p 1.0, temperature 1.0", text.get("settings"));
            assertEquals(joined(picture.get("tokens")), text.get("tokens"));
            assertEquals(256, text.get("tokens").split(" ").length);
            assertEquals(picture.get("score").floatValue(), Float.parseFloat(text.get("clip score")));
            assertTrue(text.get("command").contains("-n 1 --seed 7 --first-image " + number), text.get("command"));
        }
        for (int r = 1; r < scores.size(); r++) {
            assertTrue(scores.get(r - 1) >= scores.get(r), "ranked best first: " + scores);
        }

        // picture 0 again on the bundled demo set (no model flags, empty cache): the golden checkpoints themselves
        Path cache = dir.resolve("cache");
        Path single = dir.resolve("single");
        CliRun demo = CliRun.of("generate", PROMPT, "-n", "1", "--seed", "7", "--first-image", "0", "-o", single.toString(),
                "--cache", cache.toString());
        assertEquals(0, demo.exit(), demo.describe());
        assertTrue(demo.err().contains("bundled demo models") && demo.err().contains("random weights")
                && demo.err().contains("jdalle download mini vqgan clip --dir " + cache), demo.describe());
        assertTrue(Files.isRegularFile(cache.resolve("demo/dallebart.jdw")), "demo models converted into the cache");
        // pictures 1 and 2 alone, without CLIP, printing the table and timings (with previews on the way)
        for (int k = 1; k <= 2; k++) {
            CliRun alone = CliRun.of("generate", PROMPT, "-n", "1", "--seed", "7", "--first-image", Integer.toString(k),
                    "-o", single.toString(), "--model", GoldenModels.dallebart().toString(), "--vqgan", GoldenModels.vqgan().toString(),
                    "--cache", cache.toString(), "--preview-every", "128");
            assertEquals(0, alone.exit(), alone.describe());
            assertTrue(alone.err().contains("no CLIP model, so the pictures are not ranked"), alone.describe());
            assertTable(alone, k, single.resolve(SLUG + "_s7_" + k + ".png"));
        }
        for (int k = 0; k <= 2; k++) {
            Path fromBatch = batch.resolve(SLUG + "_s7_" + k + ".png");
            Path alone = single.resolve(SLUG + "_s7_" + k + ".png");
            assertArrayEquals(Images.read(fromBatch).pixels(), Images.read(alone).pixels(), "picture " + k);
            assertEquals(Images.readText(fromBatch).get("tokens"), Images.readText(alone).get("tokens"), "tokens of picture " + k);
        }
        try (Stream<Path> left = Files.list(single)) {
            assertEquals(3, left.count(), "three pictures, no temporary or preview files left");
        }
    }

    /** The table on stdout (no scores without CLIP) and the timings line on stderr. */
    private static void assertTable(CliRun run, int number, Path file) {
        List<String> lines = run.lines();
        assertEquals(2, lines.size(), run.describe());
        assertEquals(List.of("rank", "score", "image", "file", "prompt"), Arrays.asList(lines.get(0).split("\\s+")));
        assertEquals(List.of("-", "-", Integer.toString(number), file.toString()),
                Arrays.asList(lines.get(1).split("\\s+")).subList(0, 4));
        assertTrue(lines.get(1).endsWith("  " + PROMPT), lines.get(1));
        assertTrue(run.err().lines().anyMatch(l -> l.matches("timings: load .* s, encode .* s, decode 256 steps in .* s "
                + "\\(.* steps/s\\), VQGAN .* s, CLIP .* s, total .* s on cpu.*")), run.describe());
    }

    @Test
    void slugsAreShortAsciiFileNames() {
        assertEquals("cafe-au-lait-a-l-ete", GenerateCommand.slug("Café au lait à l'été!"));
        assertEquals("picture", GenerateCommand.slug("🥑"));
        String slug = GenerateCommand.slug("a highly detailed oil painting of an ancient lighthouse standing on a rocky cliff");
        assertTrue(slug.length() <= 48 && !slug.endsWith("-"), slug);
    }

    private static String joined(JsonNode array) {
        List<String> words = new ArrayList<>();
        array.forEach(v -> words.add(v.asString()));
        return String.join(" ", words);
    }
}
