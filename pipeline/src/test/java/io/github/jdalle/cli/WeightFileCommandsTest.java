package io.github.jdalle.cli;

import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.weights.JdwFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code convert}, {@code info} and {@code verify} through the CLI on the golden VQGAN checkpoint. */
class WeightFileCommandsTest {
    @Test
    void convertInfoAndVerify(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("vqgan-f16.jdw");
        CliRun convert = CliRun.of("convert", Golden.file("vqgan/model").toString(), "-o", file.toString(), "--dtype", "f16");
        assertEquals(0, convert.exit(), convert.describe());
        assertTrue(convert.out().startsWith(file + ": VQGAN, 155 tensors"), convert.describe());

        CliRun info = CliRun.of("info", file.toString());
        assertEquals(0, info.exit(), info.describe());
        assertTrue(info.out().contains("kind     VQGAN") && info.out().contains("F16 155 tensors"), info.describe());

        CliRun verify = CliRun.of("verify", file.toString());
        assertEquals(0, verify.exit(), verify.describe());
        assertEquals(file + ": ok, 155 entries checked", verify.out().strip());

        long lastTensorByte;
        try (JdwFile jdw = JdwFile.open(file)) {
            var last = jdw.index().tensors().getLast();
            lastTensorByte = last.offset() + last.length() - 1;
        }
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            raw.seek(lastTensorByte);
            int b = raw.read();
            raw.seek(lastTensorByte);
            raw.write(b ^ 0x40);
        }
        CliRun corrupt = CliRun.of("verify", file.toString());
        assertEquals(1, corrupt.exit(), corrupt.describe());
        assertTrue(corrupt.err().contains("CRC32C mismatch") && corrupt.err().contains("1 of 1 weight files failed"),
                corrupt.describe());
    }
}
