package io.github.jdalle.core.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.weights.JdwIndex.TensorInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .jdw reader: round trip, checksums, every malformed index it must refuse, and files above 2 GiB. */
class JdwFileTest {
    private static final String CONFIG = "{\"model_type\": \"clip\"}";

    @TempDir
    Path temp;

    private Path sample() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("text_model/kernel", Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Tensor half = Tensor.allocate(Arena.ofAuto(), DType.F16, 3);
        half.setFloat(0, 0.5f);
        half.setFloat(1, -2f);
        half.setFloat(2, 65504f);
        tensors.put("vision_model/half", half);
        Tensor scale = Tensor.allocate(Arena.ofAuto(), DType.BF16);
        scale.setFloat(0, 4.5f);
        tensors.put("logit_scale", scale);
        tensors.put("ids", Tensor.ofInts(new int[] {7, -1}, 2));
        Path file = temp.resolve("sample.jdw");
        JdwTestFiles.write(file, ModelKind.CLIP, CONFIG, tensors, Map.of("vocab.json", "{\"a\": 1}".getBytes(StandardCharsets.UTF_8)));
        return file;
    }

    @Test
    void readsTensorsAsAlignedViews() throws IOException {
        try (JdwFile jdw = JdwFile.open(sample())) {
            assertEquals(ModelKind.CLIP, jdw.kind());
            assertEquals(List.of("ids", "logit_scale", "text_model/kernel", "vision_model/half"), jdw.paths());
            Tensor kernel = jdw.tensor("text_model/kernel");
            assertArrayEquals(new int[] {2, 3}, kernel.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, kernel.toFloatArray());
            assertArrayEquals(new float[] {0.5f, -2f, 65504f}, jdw.tensor("vision_model/half").toFloatArray());
            assertEquals(0, jdw.tensor("logit_scale").rank());
            assertEquals(4.5f, jdw.tensor("logit_scale").getFloat(0));
            assertArrayEquals(new int[] {7, -1}, jdw.tensor("ids").toIntArray());
            for (String path : jdw.paths()) {
                assertEquals(0, jdw.tensor(path).segment().address() % JdwFile.ALIGNMENT, path);
            }
            assertEquals(CONFIG, jdw.config().orElseThrow());
            assertEquals("{\"a\": 1}", new String(jdw.asset("vocab.json").orElseThrow(), StandardCharsets.UTF_8));
            assertTrue(jdw.asset("merges.txt").isEmpty());
            assertEquals(5, jdw.verify());

            JdwInfo info = jdw.info();
            assertEquals(4, info.tensorCount());
            assertEquals(6 + 3 + 1 + 2, info.parameterCount());
            assertEquals(Map.of(DType.F32, 1, DType.F16, 1, DType.BF16, 1, DType.I32, 1), info.tensorsByDType());
            assertEquals(Files.size(jdw.file()), info.fileSize());
            assertTrue(info.summary().contains("kind     CLIP"), info.summary());
        }
    }

    @Test
    void verifyNamesCorruptTensors() throws IOException {
        Path file = sample();
        long offset;
        try (JdwFile jdw = JdwFile.open(file)) {
            offset = jdw.index().tensors().stream().filter(t -> t.path().equals("text_model/kernel")).findFirst()
                    .orElseThrow().offset();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset + 5);
            raf.write(0x55);
        }
        try (JdwFile jdw = JdwFile.open(file)) {
            JdalleException e = assertThrows(JdalleException.class, jdw::verify);
            assertTrue(e.getMessage().startsWith(file + ": corrupt: CRC32C mismatch in 1 of 5 entries: text_model/kernel (stored "),
                    e.getMessage());
        }
    }

    @Test
    void missingTensorNamesFileAndPath() throws IOException {
        Path file = sample();
        try (JdwFile jdw = JdwFile.open(file)) {
            JdalleException e = assertThrows(JdalleException.class, () -> jdw.tensor("text_model/bias"));
            assertEquals(file + ": text_model/bias: no such tensor in the weight file", e.getMessage());
        }
    }

    @Test
    void refusesTruncatedFiles() throws IOException {
        Path file = sample();
        byte[] bytes = Files.readAllBytes(file);
        Path cut = temp.resolve("cut.jdw");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 100));
        String message = assertThrows(JdalleException.class, () -> JdwFile.open(cut)).getMessage();
        assertTrue(message.startsWith(cut + ": ") && message.endsWith("runs past the end of the file (" + (bytes.length - 100)
                + " bytes): truncated?"), message);

        Files.write(cut, Arrays.copyOf(bytes, 40));
        assertEquals(cut + ": truncated or corrupt: index length " + indexLength(bytes)
                + " does not fit in the file (40 bytes)", assertThrows(JdalleException.class, () -> JdwFile.open(cut)).getMessage());

        Files.write(cut, Arrays.copyOf(bytes, 10));
        assertEquals(cut + ": truncated: 10 bytes, a weight file starts with a 16-byte header",
                assertThrows(JdalleException.class, () -> JdwFile.open(cut)).getMessage());
    }

    @Test
    void refusesWrongMagic() throws IOException {
        Path file = temp.resolve("flax_model.msgpack");
        Files.write(file, new byte[] {(byte) 0x82, (byte) 0xa7, 'l', 'm', '_', 'h', 'e', 'a', 'd', 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertEquals(file + ": not a jdalle weight file (wrong magic); a Flax checkpoint must be converted first (jdalle convert)",
                assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());
    }

    @Test
    void refusesMalformedIndexEntries() throws IOException {
        long dataStart = JdwFile.align(JdwFile.HEADER_BYTES + index(entry(new long[] {2}, 0, 8)).encode().remaining());
        Path file = temp.resolve("bad.jdw");

        JdwTestFiles.writeIndexOnly(file, index(entry(new long[] {1L << 31, 1L << 31, 1L << 31}, dataStart, 64)), dataStart + 64);
        assertEquals(file + ": w: dimension 0 of shape [2147483648, 2147483648, 2147483648] is out of range",
                assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());

        JdwTestFiles.writeIndexOnly(file, index(entry(new long[] {1L << 30, 1L << 30, 1L << 30}, dataStart, 64)), dataStart + 64);
        assertEquals(file + ": w: shape [1073741824, 1073741824, 1073741824] overflows: more elements than a file can hold",
                assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());

        JdwTestFiles.writeIndexOnly(file, index(entry(new long[] {2}, dataStart, 12)), dataStart + 64);
        assertEquals(file + ": w: length 12 bytes, but shape [2] F32 needs 8",
                assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());

        JdwTestFiles.writeIndexOnly(file, index(entry(new long[] {2}, dataStart + 64, 8)), dataStart + 64);
        assertEquals(file + ": w: data at offset " + (dataStart + 64) + " (8 bytes) runs past the end of the file ("
                + (dataStart + 64) + " bytes): truncated?", assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());

        JdwTestFiles.writeIndexOnly(file, index(entry(new long[] {2}, -64, 8)), dataStart + 64);
        assertEquals(file + ": w: data at offset 18446744073709551552 (8 bytes) is not a 64-byte aligned offset in the data region"
                + " (which starts at " + dataStart + ")", assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());

        JdwTestFiles.writeIndexOnly(file, index(entry(new long[] {2}, dataStart + 4, 8)), dataStart + 64);
        assertTrue(assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage().contains("is not a 64-byte aligned"));

        JdwTestFiles.writeIndexOnly(file, new JdwIndex(2, ModelKind.VQGAN, null, List.of(), List.of()), 64);
        assertEquals(file + ": format version 2 is not supported (this jdalle reads 1); convert the checkpoint again",
                assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());
    }

    @Test
    void refusesAnIndexThatIsNotFlatBuffers() throws IOException {
        Path file = temp.resolve("garbage.jdw");
        ByteBuffer bytes = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        bytes.put(JdwFile.magic()).putLong(64);
        for (int i = 16; i < 128; i++) {
            bytes.put(i, (byte) (i * 37));
        }
        Files.write(file, bytes.array());
        assertEquals(file + ": index has no JDW1 identifier: not a jdalle weight file or a corrupt one",
                assertThrows(JdalleException.class, () -> JdwFile.open(file)).getMessage());
    }

    /** A sparse file with a 2.4 GB tensor and one behind it, past the 2 GiB a ByteBuffer can address. */
    @Test
    void readsFilesAboveTwoGibibytes() throws IOException {
        long bigCount = 600_000_000L;
        long dataStart = JdwFile.align(JdwFile.HEADER_BYTES + sparseIndex(0, 0).encode().remaining());
        long tailOffset = JdwFile.align(dataStart + bigCount * 4);
        float[] tail = {1.5f, -2.25f, 3e38f, HalfFloats.bf16ToFloat((short) 0x3f80)};
        ByteBuffer tailBytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        tailBytes.asFloatBuffer().put(tail);
        JdwIndex index = sparseIndex(dataStart, tailOffset);
        Path file = temp.resolve("sparse.jdw");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(index.prefix());
            raf.setLength(tailOffset + 16);
            raf.seek(tailOffset);
            raf.write(tailBytes.array());
        }
        assertTrue(tailOffset > Integer.MAX_VALUE);
        try (JdwFile jdw = JdwFile.open(file)) {
            Tensor big = jdw.tensor("big");
            assertEquals(bigCount * 4, big.byteSize());
            assertEquals(0f, big.getFloat(bigCount - 1));
            assertArrayEquals(tail, jdw.tensor("tail").toFloatArray());
            assertEquals(tailOffset + 16, jdw.fileSize());
        }
    }

    private static JdwIndex sparseIndex(long bigOffset, long tailOffset) {
        return new JdwIndex(JdwFile.FORMAT_VERSION, ModelKind.VQGAN, null, List.of(), List.of(
                new TensorInfo("big", DType.F32, new long[] {600_000_000L}, bigOffset, 2_400_000_000L, 0),
                new TensorInfo("tail", DType.F32, new long[] {4}, tailOffset, 16, 0)));
    }

    private static TensorInfo entry(long[] shape, long offset, long length) {
        return new TensorInfo("w", DType.F32, shape, offset, length, 0);
    }

    private static JdwIndex index(TensorInfo entry) {
        return new JdwIndex(JdwFile.FORMAT_VERSION, ModelKind.VQGAN, null, List.of(), List.of(entry));
    }

    private static long indexLength(byte[] file) {
        return ByteBuffer.wrap(file, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
