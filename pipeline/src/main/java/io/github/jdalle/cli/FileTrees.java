package io.github.jdalle.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing scratch and download folders. */
final class FileTrees {
    private FileTrees() {
    }

    /** Deletes {@code folder} and everything in it, if it exists; throws when something cannot be removed. */
    static void delete(Path folder) throws IOException {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Like {@link #delete}, for scratch folders whose removal must not hide the error being handled. */
    static void deleteQuietly(Path folder) {
        try {
            delete(folder);
        } catch (IOException e) {
            // a leftover hidden scratch folder is harmless, and failing here could hide the error being handled
        }
    }
}
