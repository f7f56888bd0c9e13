package io.github.jdalle.cli;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.weights.JdwFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code jdalle verify FILE.jdw...}: checks every tensor's checksum. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Read weight files whole and check the CRC32C of every tensor and asset. Prints 'FILE: ok' per "
                + "sound file; a corrupt file is named on stderr and the exit status is 1.")
final class VerifyCommand extends CliCommand {
    @Parameters(arity = "1..*", paramLabel = "FILE.jdw", description = "Weight files.")
    List<Path> files;

    @Override
    void run() {
        int failed = 0;
        for (Path path : files) {
            try (JdwFile file = JdwFile.open(path)) {
                out().println(path + ": ok, " + file.verify() + " entries checked");
            } catch (JdalleException e) {
                note(e.getMessage());
                failed++;
            }
        }
        if (failed > 0) {
            throw new JdalleException(failed + " of " + files.size() + " weight files failed verification");
        }
    }
}
