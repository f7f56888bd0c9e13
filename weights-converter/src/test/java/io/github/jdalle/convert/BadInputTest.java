package io.github.jdalle.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jdalle.convert.MsgpackWriter.TestArray;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed checkpoint gives one clear error naming the file and the Flax path, and leaves no output. */
class BadInputTest {
    @TempDir
    Path temp;

    private Path file(byte[] bytes) throws IOException {
        Path file = temp.resolve("flax_model.msgpack");
        Files.write(file, bytes);
        return file;
    }

    private String openError(byte[] bytes) throws IOException {
        Path file = file(bytes);
        String message = assertThrows(JdalleException.class, () -> FlaxMsgpack.open(file)).getMessage();
        assertTrue(message.startsWith(file + ": "), message);
        return message.substring(file.toString().length() + 2);
    }

    /** {"a": {"w": float32[4]}} followed by nothing: the ext starts at offset 6, its 29-byte payload at 9. */
    private static byte[] smallTree() {
        return MsgpackWriter.treeBytes(Map.of("a", Map.of("w", TestArray.f32(new float[] {1, 2, 3, 4}, 4))));
    }

    /** A single leaf {"w": ext 1 [shape, dtype, data]} written field by field. */
    private static byte[] leaf(long[] shape, String dtype, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new MsgpackWriter(bytes).map(1).str("w").ndarray(TestArray.raw(dtype, data, shape), 1).flush();
        return bytes.toByteArray();
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] whole = smallTree();
        assertEquals(38, whole.length);
        assertEquals("a/w: truncated: an ext of 29 bytes at offset 6 needs 29 more bytes, only 26 left",
                openError(Arrays.copyOf(whole, 35)));
        assertEquals("a: truncated: a map of 1 entries at offset 3 needs 2 more bytes, only 1 left",
                openError(Arrays.copyOf(whole, 5)));
        assertEquals("empty file, not a Flax checkpoint", openError(new byte[0]));

        byte[] golden = Files.readAllBytes(Golden.file("dallebart/model/flax_model.msgpack"));
        String message = openError(Arrays.copyOf(golden, golden.length / 2));
        assertTrue(message.contains(": truncated: ") && message.endsWith(" left"), message);
    }

    @Test
    void wrongMagic() throws IOException {
        assertEquals("not a Flax parameter tree: the file holds an int (first byte 0x68), expected a map",
                openError("hello".getBytes()));
        assertEquals("not a Flax parameter tree: map key at offset 1 is an int, expected a str",
                openError(Arrays.copyOf(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, 64)));
        assertEquals("already a jdalle weight file (.jdw), not a Flax checkpoint",
                openError(new byte[] {(byte) 0x89, 'J', 'D', 'W', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0}));
    }

    @Test
    void msgpackThatIsNotAFlaxTree() throws IOException {
        assertEquals("a: not a Flax parameter tree: expected a map or an array (ext type 1), found an int at offset 3",
                openError(new byte[] {(byte) 0x81, (byte) 0xa1, 'a', 0x05}));
        assertEquals("not a Flax parameter tree: the file holds an array (first byte 0x92), expected a map",
                openError(new byte[] {(byte) 0x92, 0x01, 0x02}));
        assertEquals("not a Flax parameter tree: it holds no arrays", openError(new byte[] {(byte) 0x80}));
        assertEquals("2 unexpected bytes after the end of the tree at offset 1",
                openError(new byte[] {(byte) 0x80, 0x01, 0x02}));
        assertEquals("a/w: array payload at offset 8 is not [shape, dtype, data]",
                openError(new byte[] {(byte) 0x81, (byte) 0xa1, 'a', (byte) 0x81, (byte) 0xa1, 'w', (byte) 0xd4, 0x01, 0x05}));
    }

    @Test
    void shapeWhoseProductOverflows() throws IOException {
        long max = Integer.MAX_VALUE;
        assertEquals("w: shape [2147483647, 2147483647, 2147483647] has more elements than a file can hold",
                openError(leaf(new long[] {max, max, max}, "float32", new byte[0])));
        assertEquals("w: dimension 0 of shape [4294967296] is out of range",
                openError(leaf(new long[] {1L << 32}, "float32", new byte[0])));
    }

    @Test
    void lengthPastTheEnd() throws IOException {
        assertEquals("w: data holds 8 bytes, shape [3] float32 needs 12", openError(leaf(new long[] {3}, "float32", new byte[8])));
        // a bin32 claiming 4 GiB inside a 22-byte ext payload
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new MsgpackWriter(bytes).map(1).str("w").raw(0xc7, 22, 0x01, 0x93, 0x91, 0x02, 0xa7).raw("float32".getBytes())
                .raw(0xc6, 0xff, 0xff, 0xff, 0xff).raw(0, 0, 0, 0, 0, 0).flush();
        assertEquals("w: truncated: a bin of 4294967295 bytes at offset 17 needs 4294967295 more bytes, only 6 left",
                openError(bytes.toByteArray()));
    }

    @Test
    void missingTensor() throws IOException {
        Path file = file(smallTree());
        try (FlaxMsgpack source = FlaxMsgpack.open(file)) {
            assertEquals(file + ": a/b: no such tensor in the checkpoint",
                    assertThrows(JdalleException.class, () -> source.tensor("a/b")).getMessage());
        }
    }

    @Test
    void unknownDType() throws IOException {
        assertEquals("w: unsupported dtype 'int8' (jdalle reads float32, float16 and bfloat16)",
                openError(leaf(new long[] {2}, "int8", new byte[2])));
        assertEquals("w: unsupported dtype 'complex64' (jdalle reads float32, float16 and bfloat16)",
                openError(leaf(new long[] {1}, "complex64", new byte[8])));
        assertEquals("w: holds a Python complex number (ext type 2), not an array",
                openError(new byte[] {(byte) 0x81, (byte) 0xa1, 'w', (byte) 0xd4, 0x02, 0x00}));
        assertEquals("w: unknown ext type 7 at offset 3 (Flax writes 1 for arrays, 3 for numpy scalars)",
                openError(new byte[] {(byte) 0x81, (byte) 0xa1, 'w', (byte) 0xd4, 0x07, 0x00}));
    }

    @Test
    void unscannedStackWithAGap() throws IOException {
        Map<String, Object> layers = new LinkedHashMap<>();
        layers.put("FlaxBartEncoderLayer_0", Map.of("bias", TestArray.f32(new float[] {1}, 1)));
        layers.put("FlaxBartEncoderLayer_2", Map.of("bias", TestArray.f32(new float[] {1}, 1)));
        assertEquals("layers/FlaxBartEncoderLayer_2/bias: layer 1 is missing from the unscanned stack",
                openError(MsgpackWriter.treeBytes(Map.of("layers", layers))));
    }

    @Test
    void conversionErrorsNameTheSourceAndLeaveNothingBehind() throws IOException {
        Path folder = Files.createDirectories(temp.resolve("model"));
        Path checkpoint = folder.resolve(FlaxMsgpack.CHECKPOINT_FILE);
        Path out = Files.createDirectories(temp.resolve("out"));
        Path output = out.resolve("model.jdw");
        Files.writeString(output, "previous");

        MsgpackWriter.writeTree(checkpoint, ConverterTest.vqganLike());
        assertEquals(checkpoint + ": no config.json beside the checkpoint; pass the model's config.json (--config)",
                convertError(folder, output));

        Files.writeString(folder.resolve(FlaxMsgpack.CONFIG_FILE), "{\"model_type\": \"clip\"}");
        assertEquals(checkpoint + ": config.json says model_type 'clip' but the parameter tree is a VQGAN tree",
                convertError(folder, output));

        MsgpackWriter.writeTree(checkpoint, Map.of("a", Map.of("w", TestArray.f32(new float[] {1}, 1))));
        assertEquals(checkpoint + ": not a DalleBart, VQGAN or CLIP parameter tree (top-level keys [a])",
                convertError(folder, output));

        // a failure half-way through writing the data
        MsgpackWriter.writeTree(checkpoint, ConverterTest.vqganLike());
        Files.writeString(folder.resolve(FlaxMsgpack.CONFIG_FILE), "{}");
        assertEquals("disk full", assertThrows(IllegalStateException.class, () -> Converter.convert(folder, null, output,
                TargetDType.KEEP, (path, done, total) -> {
                    throw new IllegalStateException("disk full");
                })).getMessage());

        try (Stream<Path> left = Files.list(out)) {
            assertEquals(List.of(output), left.toList(), "no temporary file left behind");
        }
        assertArrayEquals("previous".getBytes(), Files.readAllBytes(output), "the old output is untouched");
    }

    private static String convertError(Path folder, Path output) {
        return assertThrows(JdalleException.class,
                () -> Converter.convert(folder, null, output, TargetDType.KEEP, ProgressListener.NONE)).getMessage();
    }
}
