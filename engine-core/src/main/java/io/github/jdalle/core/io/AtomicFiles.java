package io.github.jdalle.core.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Support for files that appear complete or not at all: write to a hidden sibling, then move it over the
 * target. Unlike {@link Files#createTempFile}, the sibling gets the default permissions (the umask), so a
 * picture or weight file is as readable as any other file the user creates.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Creates an empty, uniquely named hidden file next to {@code target}, e.g. {@code .mini.jdw.1a2b3c.part}. */
    public static Path createSibling(Path target, String suffix) throws IOException {
        Path folder = target.toAbsolutePath().getParent();
        while (true) {
            String unique = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
            try {
                return Files.createFile(folder.resolve("." + target.getFileName() + "." + unique + suffix));
            } catch (FileAlreadyExistsException taken) {
                // another writer chose the same name: draw again
            }
        }
    }
}
