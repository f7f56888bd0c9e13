package io.github.jdalle.core.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checked-in FlatBuffers code must be exactly what flatc 2.0.8 generates from {@code jdw.fbs}, so the
 * build needs no flatc. Runs only where flatc 2.0.8 is on the PATH; skipped otherwise.
 */
class JdwSchemaTest {
    private static final Path MODULE = moduleRoot();
    private static final Path SCHEMA = MODULE.resolve("src/main/fbs/jdw.fbs");
    private static final Path GENERATED = MODULE.resolve("src/main/java/io/github/jdalle/core/weights/fb");

    @Test
    void checkedInCodeMatchesFlatc(@TempDir Path temp) throws IOException, InterruptedException {
        Path flatc = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "flatc")).filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(flatc != null, "flatc is not on the PATH");
        String version = run(List.of(flatc.toString(), "--version"), temp).strip();
        assumeTrue(version.equals("flatc version 2.0.8"), "the runtime is flatbuffers-java 2.0.8, flatc is " + version);

        run(List.of(flatc.toString(), "--java", "-o", temp.toString(), SCHEMA.toString()), temp);
        Path fresh = temp.resolve("io/github/jdalle/core/weights/fb");
        assertEquals(fileNames(fresh), fileNames(GENERATED));
        for (String name : fileNames(fresh)) {
            assertEquals(Files.readString(fresh.resolve(name)), Files.readString(GENERATED.resolve(name)), name);
        }
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
        return output;
    }

    private static Path moduleRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("src/main/fbs")) ? here : here.resolve("engine-core");
    }
}
