package io.github.jdalle.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A subcommand: results to {@link #out()}, everything else (progress, timings, notes) to {@link #err()}. */
abstract class CliCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Where results go (stdout). */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Where progress, timings and notes go (stderr). */
    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A note on stderr, prefixed like errors so that it is clear where it comes from. */
    void note(String message) {
        err().println("jdalle: " + message);
        err().flush();
    }

    /** Runs the command; errors are thrown as {@link io.github.jdalle.core.JdalleException}. */
    abstract void run() throws Exception;

    @Override
    public final Integer call() throws Exception {
        run();
        out().flush();
        err().flush();
        return 0;
    }
}
