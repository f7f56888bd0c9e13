package io.github.jdalle;

import io.github.jdalle.convert.Converter;
import io.github.jdalle.convert.ProgressListener;
import io.github.jdalle.convert.TargetDType;
import io.github.jdalle.core.testing.Golden;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The three golden checkpoints ({@code testdata/golden/{dallebart,vqgan,clip}/model}, random weights) converted
 * to {@code .jdw} once per test JVM, in a temporary folder removed at exit.
 */
public final class GoldenModels {
    private static final Path FOLDER = convertAll();

    private GoldenModels() {
    }

    public static Path dallebart() {
        return FOLDER.resolve("dallebart.jdw");
    }

    public static Path vqgan() {
        return FOLDER.resolve("vqgan.jdw");
    }

    public static Path clip() {
        return FOLDER.resolve("clip.jdw");
    }

    private static Path convertAll() {
        try {
            Path folder = Files.createTempDirectory("jdalle-golden-models");
            folder.toFile().deleteOnExit();
            for (String model : new String[] {"dallebart", "vqgan", "clip"}) {
                Path file = folder.resolve(model + ".jdw");
                Converter.convert(Golden.file(model + "/model"), null, file, TargetDType.KEEP, ProgressListener.NONE);
                file.toFile().deleteOnExit();
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
