package io.github.jdalle.cli;

import io.github.jdalle.core.JdalleException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A text file of image tokens as {@code jdalle tokens} prints them: one picture per line, whitespace-separated
 * ids; blank lines and lines starting with {@code #} are skipped. {@code -} reads standard input.
 */
final class TokenFile {
    /** The tokens of one picture and the line they came from. */
    record Line(int number, int[] tokens) {
    }

    private TokenFile() {
    }

    static List<Line> read(Path file) {
        boolean stdin = file.toString().equals("-");
        try (BufferedReader reader = stdin
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            List<Line> lines = new ArrayList<>();
            int number = 0;
            for (String text; (text = reader.readLine()) != null; ) {
                number++;
                String trimmed = text.strip();
                if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                    lines.add(new Line(number, parse(file, number, trimmed)));
                }
            }
            if (lines.isEmpty()) {
                throw new JdalleException(file + ": no tokens (expected one picture's ids per line)");
            }
            return lines;
        } catch (IOException e) {
            throw new JdalleException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** One picture's ids as a line of such a file (space-separated), as {@code jdalle tokens} prints them. */
    static String line(int[] tokens) {
        return Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    private static int[] parse(Path file, int number, String line) {
        return Arrays.stream(line.split("\\s+")).mapToInt(word -> {
            try {
                return Integer.parseInt(word);
            } catch (NumberFormatException e) {
                throw new JdalleException(file + ":" + number + ": '" + word + "' is not a token id");
            }
        }).toArray();
    }
}
