package io.github.jdalle.cli;

import io.github.jdalle.convert.Converter;
import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.convert.ProgressListener;
import io.github.jdalle.convert.TargetDType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.weights.ModelKind;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The bundled demo set: the three tiny golden checkpoints (random weights; 16 × 16 tokens → 32 × 32 pixels)
 * shipped as class-path resources under {@code demo/<model>/model/} in the original Flax layout, and
 * converted to {@code .jdw} in the cache on first use. They make a complete pipeline on a machine with no
 * network and no downloads, which is what a first {@code jdalle generate} runs on.
 */
final class DemoModels {
    private static final Map<ModelKind, String> FOLDERS = Map.of(
            ModelKind.DALLE_BART, "dallebart", ModelKind.VQGAN, "vqgan", ModelKind.CLIP, "clip");

    private DemoModels() {
    }

    /** The demo weight files in {@code folder}, converting the bundled checkpoints first where missing. */
    static Map<ModelKind, Path> install(Path folder) {
        Map<ModelKind, Path> files = new EnumMap<>(ModelKind.class);
        for (ModelKind kind : ModelKind.values()) {
            Path target = folder.resolve(FOLDERS.get(kind) + ".jdw");
            if (!Files.isRegularFile(target)) {
                convert(FOLDERS.get(kind), target);
            }
            files.put(kind, target);
        }
        return files;
    }

    /** Copies the bundled checkpoint folder out of the class path and converts it; the converter writes atomically. */
    private static void convert(String name, Path target) {
        Path scratch = null;
        try {
            Files.createDirectories(target.getParent());
            scratch = Files.createTempDirectory(target.getParent(), "." + name + "-");
            for (String file : Stream.concat(Stream.of(FlaxMsgpack.CHECKPOINT_FILE, FlaxMsgpack.CONFIG_FILE),
                    FlaxMsgpack.ASSET_FILES.stream()).toList()) {
                try (InputStream in = DemoModels.class.getResourceAsStream("/demo/" + name + "/model/" + file)) {
                    if (in != null) {
                        Files.copy(in, scratch.resolve(file));
                    }
                }
            }
            if (!Files.exists(scratch.resolve(FlaxMsgpack.CHECKPOINT_FILE))) {
                throw new JdalleException("the demo models are not bundled in this build (no class-path resource demo/"
                        + name + "/model/" + FlaxMsgpack.CHECKPOINT_FILE + "); build with mvn package");
            }
            Converter.convert(scratch, null, target, TargetDType.KEEP, ProgressListener.NONE);
        } catch (IOException e) {
            throw new JdalleException(target + ": cannot install the demo model: " + e.getMessage(), e);
        } finally {
            FileTrees.deleteQuietly(scratch);
        }
    }
}
