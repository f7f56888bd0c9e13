package io.github.jdalle.cli;

import io.github.jdalle.ModelFiles;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.hub.HubModel;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Which weight file each model slot of a command uses. A flag value that names a hub model ({@code mini},
 * {@code mega}, {@code vqgan}, {@code clip}) means its downloaded file in the cache; any other value is a path
 * (a {@code .jdw} file or a hub model folder). A slot without a flag takes its downloaded default
 * ({@code mini}, {@code vqgan}, {@code clip}). With no model flag at all and the command's main model not
 * downloaded, every slot takes the bundled demo model instead, and a note says so.
 */
final class ModelSelection {
    /** One model slot of a command: its kind, the flag's value (null when not given) and whether it may stay empty. */
    record Want(ModelKind kind, String flag, boolean required) {
    }

    private static final Map<ModelKind, HubModel> DEFAULTS = Map.of(
            ModelKind.DALLE_BART, HubModel.MINI, ModelKind.VQGAN, HubModel.VQGAN, ModelKind.CLIP, HubModel.CLIP);
    private static final Map<ModelKind, String> FLAGS = Map.of(
            ModelKind.DALLE_BART, "--model", ModelKind.VQGAN, "--vqgan", ModelKind.CLIP, "--clip");

    private ModelSelection() {
    }

    /** A slot that must be filled. */
    static Want required(ModelKind kind, String flag) {
        return new Want(kind, flag, true);
    }

    /** A slot that stays empty when neither flagged nor downloaded. */
    static Want optional(ModelKind kind, String flag) {
        return new Want(kind, flag, false);
    }

    /**
     * The file for each wanted slot (absent for an empty optional slot). {@code wants.get(0)} is the command's
     * main model, whose absence from the cache switches to the demo models.
     */
    static Map<ModelKind, Path> choose(ModelCache cache, CliCommand command, Want... wants) {
        boolean noFlags = Arrays.stream(wants).allMatch(w -> w.flag() == null);
        Map<ModelKind, Path> chosen = new EnumMap<>(ModelKind.class);
        if (noFlags && !cache.has(DEFAULTS.get(wants[0].kind()))) {
            Map<ModelKind, Path> demo = DemoModels.install(cache.demoFolder());
            Arrays.stream(wants).forEach(w -> chosen.put(w.kind(), demo.get(w.kind())));
            command.note("no models downloaded yet, so this runs the bundled demo models (tiny, with random weights: "
                    + "the pictures are noise); for real pictures run: "
                    + cache.downloadCommand(List.of(HubModel.MINI, HubModel.VQGAN, HubModel.CLIP)));
            return chosen;
        }
        for (Want want : wants) {
            if (want.flag() != null) {
                chosen.put(want.kind(), HubModel.find(want.flag()).map(m -> downloaded(cache, m)).orElse(Path.of(want.flag())));
            } else if (cache.has(DEFAULTS.get(want.kind()))) {
                chosen.put(want.kind(), cache.weightFile(DEFAULTS.get(want.kind())));
            } else if (want.required()) {
                throw new JdalleException("no " + name(want.kind()) + " model: pass " + FLAGS.get(want.kind())
                        + " FILE, or download it: " + cache.downloadCommand(List.of(DEFAULTS.get(want.kind()))));
            } else {
                command.note("no " + name(want.kind()) + " model, so the pictures are not ranked; to rank them run: "
                        + cache.downloadCommand(List.of(DEFAULTS.get(want.kind()))));
            }
        }
        return chosen;
    }

    /** The file of a command's only model, which it needs: {@link #choose} with one required slot. */
    static Path single(ModelCache cache, CliCommand command, ModelKind kind, String flag) {
        return choose(cache, command, required(kind, flag)).get(kind);
    }

    private static Path downloaded(ModelCache cache, HubModel model) {
        if (!cache.has(model)) {
            throw new JdalleException("model '" + model.id() + "' is not downloaded yet (no " + cache.weightFile(model)
                    + "); run: " + cache.downloadCommand(List.of(model)));
        }
        return cache.weightFile(model);
    }

    /** The command-line flag of a slot: {@code --model}, {@code --vqgan} or {@code --clip}. */
    static String flag(ModelKind kind) {
        return FLAGS.get(kind);
    }

    private static String name(ModelKind kind) {
        return ModelFiles.name(kind);
    }
}
