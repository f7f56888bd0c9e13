package io.github.jdalle.cli;

import io.github.jdalle.convert.Converter;
import io.github.jdalle.convert.TargetDType;
import io.github.jdalle.hub.Downloader;
import io.github.jdalle.hub.HubModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** {@code jdalle download mini|mega|vqgan|clip...}: fetches models from the hub into the cache and converts them. */
@Command(name = "download", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download models from the Hugging Face hub into the cache and convert each to <cache>/<model>.jdw.",
                "Downloads resume where they stopped; sizes and the hub's SHA-256 are checked. Prints each weight file."})
final class DownloadCommand extends CliCommand {
    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "mini, mega, vqgan or clip.")
    List<String> models;

    @Option(names = {"--dir", "--cache"}, paramLabel = "DIR",
            description = "Cache folder (default: $JDALLE_HOME, else ~/.cache/jdalle).")
    Path dir;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "keep",
            description = "Store the weights as keep, f32, f16 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--keep-sources", description = "Keep the downloaded checkpoint folders (default: removed once converted).")
    boolean keepSources;

    /** The hub's address; hidden, for mirrors and tests ({@code JDALLE_HUB_URL} does the same). */
    @Option(names = "--hub-url", hidden = true)
    String hubUrl;

    @Override
    void run() throws IOException {
        List<HubModel> wanted = models.stream().map(HubModel::byId).toList();
        TargetDType target = TargetDType.parse(dtype);
        ModelCache cache = ModelCache.resolve(dir);
        Downloader downloader = hubUrl != null ? new Downloader(hubUrl) : Downloader.fromEnvironment();
        ProgressBar bar = new ProgressBar(err(), true);
        for (HubModel model : wanted) {
            Path weights = cache.weightFile(model);
            if (cache.has(model)) {
                note(model.id() + " is already downloaded");
                out().println(weights);
                continue;
            }
            Path folder = cache.sourceFolder(model);
            for (HubModel.HubFile file : model.files()) {
                downloader.fetch(file.repository(), file.revision(), file.name(), folder.resolve(file.name()),
                        (name, received, total) -> bar.bytes(model.id() + " " + name, received, total));
                bar.done();
            }
            Converter.convert(folder, null, weights, target, (path, done, total) -> bar.bytes("converting " + model.id(), done, total));
            bar.done();
            if (!keepSources) {
                FileTrees.delete(folder);
            }
            out().println(weights);
        }
    }
}
