package io.github.jdalle.cli;

import io.github.jdalle.GoldenModels;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.testing.Npy;
import io.github.jdalle.core.testing.TestBackends;
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
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The research commands end to end through the real CLI, against the golden reference outputs; the commands that
 * run a model do so on the {@link TestBackends} backend.
 */
class CliGoldenTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void greedyTokensAreTheGoldenOnes() throws IOException {
        JsonNode cases = JSON.readTree(Golden.file("dallebart/manifest.json").toFile()).get("cases");
        List<String> names = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("tokens", "--model", GoldenModels.dallebart().toString(),
                "--backend", TestBackends.name(), "-n", "1", "--top-k", "1", "--cond-scale", "10", "--seed", "0"));
        for (JsonNode c : cases) {
            names.add(c.get("name").asString());
            args.add(c.get("inputs").get("prompt").asString());
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.describe());
        assertEquals(names.size(), run.lines().size(), run.describe());
        for (int i = 0; i < names.size(); i++) {
            int[] expected = Golden.npy("dallebart/cases/" + names.get(i) + "/greedy_tokens.npy").ints();
            assertArrayEquals(expected, ids(run.lines().get(i)), "greedy tokens of case " + names.get(i));
        }
    }

    @Test
    void tokenizeShowsTheGoldenNormalizedTextAndIds() throws IOException {
        JsonNode cases = JSON.readTree(Golden.file("dallebart/manifest.json").toFile()).get("cases");
        for (JsonNode c : cases) {
            String name = c.get("name").asString();
            CliRun run = CliRun.of("tokenize", "--model", GoldenModels.dallebart().toString(), c.get("inputs").get("prompt").asString());
            assertEquals(0, run.exit(), run.describe());
            assertEquals(c.get("inputs").get("normalized").asString(), run.lines().get(0), "normalized " + name);
            int[] expected = Arrays.copyOf(Golden.npy("dallebart/cases/" + name + "/input_ids.npy").ints(), 64);
            assertArrayEquals(expected, ids(run.lines().get(1)), "input ids of " + name);
        }
    }

    @Test
    void tokenizeWithAClipModelGivesTheGolden77Ids() throws IOException {
        JsonNode texts = JSON.readTree(Golden.file("clip/manifest.json").toFile()).get("texts");
        List<String> args = new ArrayList<>(List.of("tokenize", "--model", GoldenModels.clip().toString()));
        texts.forEach(t -> args.add(t.get("text").asString()));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.describe());
        int[] expected = Golden.npy("clip/batch/input_ids.npy").ints();
        int[] actual = run.lines().stream().flatMapToInt(line -> IntStream.of(ids(line))).toArray();
        assertArrayEquals(expected, actual);
    }

    @Test
    void decodeGivesTheGoldenPictureBytes(@TempDir Path dir) throws IOException {
        List<String> cases = List.of("random", "blocks", "batch2");
        List<String> lines = new ArrayList<>();
        for (String name : cases) {
            Npy tokens = Golden.npy("vqgan/decode/" + name + "/tokens.npy");
            int[] ids = tokens.ints();
            for (int b = 0; b < tokens.shape()[0]; b++) {
                lines.add(join(Arrays.copyOfRange(ids, b * 256, (b + 1) * 256)));
            }
        }
        Path tokenFile = dir.resolve("tokens.txt");
        Files.writeString(tokenFile, "# golden decode cases\n" + String.join("\n", lines) + "\n");
        CliRun run = CliRun.of("decode", "--vqgan", GoldenModels.vqgan().toString(), "--tokens", tokenFile.toString(),
                "-o", dir.resolve("picture.png").toString(), "--backend", TestBackends.name(), "--threads", "1");
        assertEquals(0, run.exit(), run.describe());
        assertEquals(4, run.lines().size(), run.describe());

        int picture = 0;
        for (String name : cases) {
            byte[] expected = Golden.npy("vqgan/decode/" + name + "/image_uint8.npy").bytes();
            float[] unclipped = Golden.npy("vqgan/decode/" + name + "/image_float.npy").floats();
            int pictureBytes = 32 * 32 * 3;
            for (int b = 0; b < expected.length / pictureBytes; b++, picture++) {
                Path file = Path.of(run.lines().get(picture));
                assertEquals(dir.resolve("picture-" + picture + ".png"), file);
                RgbImage image = Images.read(file);
                assertEquals(32, image.height());
                assertGoldenBytes(Arrays.copyOfRange(expected, b * pictureBytes, (b + 1) * pictureBytes),
                        Arrays.copyOfRange(unclipped, b * pictureBytes, (b + 1) * pictureBytes), image.pixels(),
                        name + " picture " + b);
                assertEquals(lines.get(picture), Images.readText(file).get("tokens"));
            }
        }
    }

    /**
     * The golden rule for decoded bytes: equal, except by 1 where {@code clip(x, 0, 1)·255} lies within 2e-3 of an
     * integer (a truncation edge that float rounding may cross).
     */
    private static void assertGoldenBytes(byte[] expected, float[] unclipped, byte[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            int difference = Math.abs(Byte.toUnsignedInt(expected[i]) - Byte.toUnsignedInt(actual[i]));
            double scaled = Math.min(Math.max(unclipped[i], 0), 1) * 255.0;
            boolean fragile = Math.abs(scaled - Math.rint(scaled)) < 2e-3;
            assertTrue(difference == 0 || (difference == 1 && fragile),
                    what + ": byte " + i + " is " + Byte.toUnsignedInt(actual[i]) + ", golden " + Byte.toUnsignedInt(expected[i]));
        }
    }

    @Test
    void encodeGivesTheGoldenTokens(@TempDir Path dir) {
        List<String> cases = List.of("gradient", "shapes");
        List<String> args = new ArrayList<>(List.of("encode", "--vqgan", GoldenModels.vqgan().toString(),
                "--backend", TestBackends.name(), "--threads", "1"));
        for (String name : cases) {
            Path file = dir.resolve(name + ".png");
            Images.writePng(new RgbImage(32, 32, Golden.npy("vqgan/encode/" + name + "/image_uint8.npy").bytes()), Map.of(), file);
            args.add(file.toString());
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.describe());
        for (int i = 0; i < cases.size(); i++) {
            assertArrayEquals(Golden.npy("vqgan/encode/" + cases.get(i) + "/tokens.npy").ints(), ids(run.lines().get(i)),
                    "tokens of " + cases.get(i));
        }
    }

    @Test
    void scoreGivesTheGoldenLogits(@TempDir Path dir) throws IOException {
        Npy sources = Golden.npy("clip/batch/source_images_uint8.npy");
        int images = sources.shape()[0];
        int pictureBytes = 256 * 256 * 3;
        byte[] bytes = sources.bytes();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            Path file = dir.resolve("source-" + i + ".png");
            Images.writePng(new RgbImage(256, 256, Arrays.copyOfRange(bytes, i * pictureBytes, (i + 1) * pictureBytes)), Map.of(), file);
            files.add(file.toString());
        }
        JsonNode manifest = JSON.readTree(Golden.file("clip/manifest.json").toFile());
        JsonNode tolerance = tolerance(manifest, "clip/batch/logits_per_image.npy");
        float[] logitsPerImage = Golden.npy("clip/batch/logits_per_image.npy").floats();
        int texts = manifest.get("texts").size();
        for (int t : new int[] {0, 3}) {
            List<String> args = new ArrayList<>(List.of("score", "--clip", GoldenModels.clip().toString(),
                    "--backend", TestBackends.name(), "--text",
                    manifest.get("texts").get(t).get("text").asString()));
            args.addAll(files);
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, run.exit(), run.describe());
            float[] expected = new float[images];
            float[] actual = new float[images];
            for (int i = 0; i < images; i++) {
                expected[i] = logitsPerImage[i * texts + t];
                String[] columns = run.lines().get(i).split("\t");
                assertEquals(files.get(i), columns[0]);
                actual[i] = Float.parseFloat(columns[1]);
            }
            assertClose(expected, actual, tolerance.get("atol").asDouble(), tolerance.get("rtol").asDouble(), "scores of text " + t);
        }
    }

    private static JsonNode tolerance(JsonNode manifest, String file) {
        for (JsonNode entry : manifest.get("files")) {
            if (entry.get("file").asString().equals(file)) {
                return entry.get("tolerance");
            }
        }
        throw new AssertionError(file + " is not in the manifest");
    }

    static int[] ids(String line) {
        return Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    private static String join(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
