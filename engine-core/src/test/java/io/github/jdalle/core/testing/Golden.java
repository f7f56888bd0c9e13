package io.github.jdalle.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the golden reference data: the copy of {@code ../shared/golden} under {@code testdata/golden} at
 * the repository root (the build passes its location as the system property {@code jdalle.testdata}).
 */
public final class Golden {
    private Golden() {
    }

    /** The golden root folder, e.g. {@code root().resolve("dallebart/model")}. */
    public static Path root() {
        String property = System.getProperty("jdalle.testdata");
        if (property != null && Files.isDirectory(Path.of(property, "golden"))) {
            return Path.of(property, "golden");
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden not found (set -Djdalle.testdata)");
    }

    public static Path file(String relative) {
        return root().resolve(relative);
    }

    public static Npy npy(String relative) {
        return Npy.read(file(relative));
    }
}
