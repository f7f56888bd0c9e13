package io.github.jdalle.cli;

import io.github.jdalle.hub.HubModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where downloaded and converted models live: {@code --cache}/{@code --dir}, else {@code $JDALLE_HOME}, else
 * {@code ~/.cache/jdalle}. Each hub model is fetched into {@code sources/<id>/} and converted to
 * {@code <id>.jdw}; the bundled demo models are converted into {@code demo/}.
 *
 * @param root     the cache folder
 * @param explicit true when the user named the folder on the command line (so messages repeat it)
 */
record ModelCache(Path root, boolean explicit) {
    static ModelCache resolve(Path override) {
        if (override != null) {
            return new ModelCache(override, true);
        }
        String home = System.getenv("JDALLE_HOME");
        if (home != null && !home.isBlank()) {
            return new ModelCache(Path.of(home), false);
        }
        return new ModelCache(Path.of(System.getProperty("user.home"), ".cache", "jdalle"), false);
    }

    Path sourceFolder(HubModel model) {
        return root.resolve("sources").resolve(model.id());
    }

    Path weightFile(HubModel model) {
        return root.resolve(model.id() + ".jdw");
    }

    boolean has(HubModel model) {
        return Files.isRegularFile(weightFile(model));
    }

    Path demoFolder() {
        return root.resolve("demo");
    }

    /** The exact command that downloads {@code models} into this cache. */
    String downloadCommand(List<HubModel> models) {
        return "jdalle download " + models.stream().map(HubModel::id).collect(Collectors.joining(" "))
                + (explicit ? " --dir " + Shell.quote(root.toString()) : "");
    }
}
