package io.github.jdalle.cli;

import io.github.jdalle.core.JdalleException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The {@code jdalle} command line. Results go to stdout and nothing else does; progress, timings and
 * messages go to stderr, so every command composes in scripts. An error is one line on stderr,
 * {@code jdalle: <what is wrong>}, and a non-zero exit (1 for a failed command, 2 for a bad flag);
 * {@code --verbose} adds the stack trace.
 */
@Command(name = "jdalle", mixinStandardHelpOptions = true, version = "jdalle 0.1.0",
        description = "DALL·E Mini / Mega inference in Java.",
        subcommands = {GenerateCommand.class, TokensCommand.class, TokenizeCommand.class, DecodeCommand.class,
                EncodeCommand.class, ScoreCommand.class, ConvertCommand.class, InfoCommand.class, VerifyCommand.class,
                DownloadCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status of a command that failed. */
    static final int FAILED = 1;
    /** Exit status of a command line that does not parse (unknown flag, bad number...). */
    static final int BAD_USAGE = 2;

    @Option(names = "--verbose", description = "Print stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing command");
    }

    /** Runs the command line on the process's stdout and stderr and returns the exit code. */
    public static int execute(String... args) {
        return execute(System.out, System.err, args);
    }

    /** Runs the command line with its results on {@code out} and its messages on {@code err}; returns the exit code. */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cli.setParameterExceptionHandler((e, arguments) -> {
            PrintWriter writer = e.getCommandLine().getErr();
            writer.println("jdalle: " + e.getMessage().strip().replace('\n', ' ')
                    + " (see " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            writer.flush();
            return BAD_USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter writer = commandLine.getErr();
            boolean known = e instanceof JdalleException || e instanceof UncheckedIOException;
            writer.println("jdalle: " + (known ? e.getMessage() : "unexpected error: " + e));
            if (verbose(parseResult)) {
                e.printStackTrace(writer);
            }
            writer.flush();
            return FAILED;
        });
        return cli.execute(args);
    }

    private static boolean verbose(CommandLine.ParseResult result) {
        return result.matchedOption("--verbose") != null || result.subcommands().stream().anyMatch(Main::verbose);
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
