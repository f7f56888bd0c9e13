package io.github.jdalle.cli;

import io.github.jdalle.GoldenModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every failure is one line on stderr, a non-zero exit, nothing on stdout and no stack trace unless --verbose. */
class ErrorsTest {
    private static void assertOneLineError(CliRun run, int exit, String expected) {
        assertEquals(exit, run.exit(), run.describe());
        assertEquals("", run.out(), run.describe());
        assertEquals(1, run.err().lines().count(), "one line: " + run.describe());
        assertTrue(run.err().startsWith("jdalle: ") && run.err().contains(expected), run.describe());
    }

    @Test
    void missingFile(@TempDir Path dir) {
        Path missing = dir.resolve("missing.jdw");
        assertOneLineError(CliRun.of("tokens", "x", "--model", missing.toString(), "--seed", "1"), 1,
                missing + ": no such file or folder");
        assertOneLineError(CliRun.of("score", "--clip", GoldenModels.clip().toString(), "--text", "x",
                dir.resolve("none.png").toString()), 1, "none.png");
    }

    @Test
    void wrongModelKindInASlot(@TempDir Path dir) throws IOException {
        assertOneLineError(CliRun.of("tokens", "x", "--model", GoldenModels.vqgan().toString(), "--seed", "1"), 1,
                "holds a VQGAN model, not the DalleBart model");
        Path tokens = Files.writeString(dir.resolve("tokens.txt"), "1 2 3 4\n");
        assertOneLineError(CliRun.of("decode", "--vqgan", GoldenModels.clip().toString(), "--tokens", tokens.toString(),
                "-o", dir.resolve("x.png").toString()), 1, "holds a CLIP model, not the VQGAN model");
        assertOneLineError(CliRun.of("encode", "--vqgan", GoldenModels.dallebart().toString(), "x.png"), 1,
                "holds a DalleBart model, not the VQGAN model");
    }

    @Test
    void badFlagValues(@TempDir Path dir) {
        String[] models = {"--model", GoldenModels.dallebart().toString(), "--vqgan", GoldenModels.vqgan().toString()};
        assertOneLineError(CliRun.of(concat(new String[] {"generate", "x", "--top-p", "2", "--seed", "1"}, models)), 1,
                "top-p must be in (0, 1]");
        assertOneLineError(CliRun.of(concat(new String[] {"generate", "x", "-n", "0", "--seed", "1"}, models)), 1,
                "images per prompt must be at least 1");
        assertOneLineError(CliRun.of(concat(new String[] {"generate", "x", "--temperature", "0", "--seed", "1"}, models)), 1,
                "temperature must be a positive number");
        assertOneLineError(CliRun.of("generate", "x", "-n", "three"), 2, "'three' is not an int");
        assertOneLineError(CliRun.of("generate", "x", "--bogus"), 2, "Unknown option: '--bogus'");
        assertOneLineError(CliRun.of("generate"), 2, "Missing required parameter");
        assertOneLineError(CliRun.of("download", "tiny", "--dir", dir.toString()), 1, "unknown model 'tiny'");
        assertOneLineError(CliRun.of("convert", dir.toString(), dir.resolve("x.jdw").toString(), "--dtype", "f8"), 1,
                "unknown dtype 'f8'");
    }

    @Test
    void aModelThatIsNotDownloadedNamesTheDownloadCommand(@TempDir Path dir) {
        assertOneLineError(CliRun.of("generate", "x", "--model", "mini", "--cache", dir.toString(), "--seed", "1"), 1,
                "run: jdalle download mini --dir " + dir);
        assertOneLineError(CliRun.of("generate", "x", "--model", GoldenModels.dallebart().toString(), "--cache", dir.toString(),
                "--seed", "1"), 1, "no VQGAN model: pass --vqgan FILE, or download it: jdalle download vqgan --dir " + dir);
    }

    @Test
    void badTokenFile(@TempDir Path dir) throws IOException {
        Path tokens = Files.writeString(dir.resolve("tokens.txt"), "1 2 3\n");
        assertOneLineError(CliRun.of("decode", "--vqgan", GoldenModels.vqgan().toString(), "--tokens", tokens.toString(),
                "-o", dir.resolve("x.png").toString()), 1, "tokens.txt:1: 3 tokens do not form a square grid");
        Files.writeString(tokens, "1 2 3 4 5 6 7 9999\n");
        assertOneLineError(CliRun.of("decode", "--vqgan", GoldenModels.vqgan().toString(), "--tokens", tokens.toString(),
                "--grid-width", "4", "-o", dir.resolve("x.png").toString()), 1, "image token 9999 at position 7");
        assertTrue(Files.notExists(dir.resolve("x.png")));
    }

    @Test
    void verboseAddsTheStackTrace() {
        CliRun run = CliRun.of("tokens", "x", "--model", GoldenModels.vqgan().toString(), "--seed", "1", "--verbose");
        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("jdalle: ") && run.err().contains("\tat io.github.jdalle."), run.describe());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
