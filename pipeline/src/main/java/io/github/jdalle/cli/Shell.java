package io.github.jdalle.cli;

import java.util.regex.Pattern;

/** Quoting for commands that jdalle prints for the user to run. */
final class Shell {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=@%+-]+");

    private Shell() {
    }

    /** {@code word} as one POSIX shell word: unchanged when plain, else in single quotes. */
    static String quote(String word) {
        return PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
