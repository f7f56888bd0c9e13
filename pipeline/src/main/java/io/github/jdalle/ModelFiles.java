package io.github.jdalle;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.weights.JdwFile;
import io.github.jdalle.core.weights.ModelKind;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens model weights by path and checks they are the model a slot needs: a {@code .jdw} weight file
 * (memory-mapped), or a Flax checkpoint as the Hugging Face hub serves it (a folder with
 * {@code flax_model.msgpack}, {@code config.json} and tokenizer files, read in place without converting).
 */
public final class ModelFiles {
    private ModelFiles() {
    }

    /** The weights at {@code path}, whatever model they hold; the caller closes them. */
    public static WeightSource open(Path path) {
        if (!Files.exists(path)) {
            throw new JdalleException(path + ": no such file or folder");
        }
        boolean checkpoint = Files.isDirectory(path) || path.getFileName().toString().endsWith(".msgpack");
        return checkpoint ? FlaxMsgpack.open(path) : JdwFile.open(path);
    }

    /** The weights at {@code path}, which must hold a model of kind {@code expected}; the caller closes them. */
    public static WeightSource open(Path path, ModelKind expected) {
        if (!Files.exists(path)) {
            throw new JdalleException(path + ": no such file or folder (expected a " + name(expected) + " model)");
        }
        WeightSource source = open(path);
        try {
            ModelKind kind = kind(source);
            if (kind != expected) {
                throw new JdalleException(path + " holds a " + name(kind) + " model, not the " + name(expected)
                        + " model expected here");
            }
            return source;
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** The model that {@code source} holds, from the weight file's index or the checkpoint's parameter tree. */
    public static ModelKind kind(WeightSource source) {
        return source instanceof JdwFile file ? file.kind()
                : ModelKind.recognise(source.paths(), source.config(), source.description());
    }

    /** "DalleBart", "VQGAN" or "CLIP", as messages name the models. */
    public static String name(ModelKind kind) {
        return switch (kind) {
            case DALLE_BART -> "DalleBart";
            case VQGAN -> "VQGAN";
            case CLIP -> "CLIP";
        };
    }
}
