package io.github.jdalle.cli;

import io.github.jdalle.convert.Converter;
import io.github.jdalle.convert.TargetDType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code jdalle convert SRC -o OUT.jdw}: a Flax checkpoint to a jdalle weight file. */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a Flax checkpoint (a hub model folder, or flax_model.msgpack with --config) to a .jdw "
                + "weight file, streaming; the file appears complete or not at all. Prints a one-line report.")
final class ConvertCommand extends CliCommand {
    @Parameters(index = "0", paramLabel = "SRC", description = "Hub model folder or flax_model.msgpack.")
    Path source;

    @Option(names = {"-o", "--out"}, paramLabel = "OUT.jdw", description = "The weight file to write.")
    Path outputOption;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT.jdw", description = "The weight file, as an alternative to -o.")
    Path outputArgument;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "keep",
            description = "keep, f32, f16 or bf16 (default: ${DEFAULT-VALUE}, each tensor as stored).")
    String dtype;

    @Option(names = "--config", paramLabel = "FILE", description = "The model's config.json (default: the one in SRC).")
    Path config;

    @Override
    void run() {
        if ((outputOption == null) == (outputArgument == null)) {
            throw new ParameterException(spec.commandLine(), "give the output file once: -o OUT.jdw");
        }
        Path output = outputOption != null ? outputOption : outputArgument;
        ProgressBar bar = new ProgressBar(err(), true);
        var report = Converter.convert(source, config, output, TargetDType.parse(dtype),
                (path, done, total) -> bar.bytes("converting", done, total));
        bar.done();
        out().println(report.summary());
    }
}
