package io.github.jdalle.cli;

import io.github.jdalle.core.weights.JdwFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code jdalle info FILE.jdw...}: what a weight file holds. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe weight files: model kind, tensors, dtypes, sizes, assets and the original config.json.")
final class InfoCommand extends CliCommand {
    @Parameters(arity = "1..*", paramLabel = "FILE.jdw", description = "Weight files.")
    List<Path> files;

    @Override
    void run() {
        for (int i = 0; i < files.size(); i++) {
            try (JdwFile file = JdwFile.open(files.get(i))) {
                out().println((i > 0 ? "\n" : "") + file.info().summary());
            }
        }
    }
}
