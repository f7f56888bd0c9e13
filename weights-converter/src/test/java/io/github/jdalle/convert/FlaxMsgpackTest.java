package io.github.jdalle.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jdalle.convert.MsgpackWriter.ChunkedArray;
import io.github.jdalle.convert.MsgpackWriter.NumpyScalar;
import io.github.jdalle.convert.MsgpackWriter.TestArray;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.Golden;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Reads the golden checkpoints and generated ones with every leaf form the format allows. */
class FlaxMsgpackTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"dallebart", "vqgan", "clip"})
    void goldenCheckpointMatchesManifestAndIndependentDecoding(String component) throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(Files.readString(Golden.file(component + "/manifest.json")));
        Map<String, int[]> expectedShapes = new TreeMap<>();
        for (Map.Entry<String, JsonNode> entry : manifest.get("param_shapes").properties()) {
            int[] shape = new int[entry.getValue().size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = entry.getValue().get(i).asInt();
            }
            expectedShapes.put(entry.getKey(), shape);
        }
        Path folder = Golden.file(component + "/model");
        Map<String, ReferenceDecoder.Leaf> reference = ReferenceDecoder.decode(folder.resolve("flax_model.msgpack"));

        try (FlaxMsgpack source = FlaxMsgpack.open(folder)) {
            assertEquals(List.copyOf(expectedShapes.keySet()), source.paths());
            long parameters = 0;
            for (String path : source.paths()) {
                Tensor tensor = source.tensor(path);
                assertArrayEquals(expectedShapes.get(path), tensor.shape(), path);
                assertEquals(DType.F32, tensor.dtype(), path);
                assertArrayEquals(reference.get(path).data(), tensor.segment().toArray(ValueLayout.JAVA_BYTE), path);
                parameters += tensor.elementCount();
            }
            assertEquals(manifest.get("checkpoint").get("parameters").asLong(), parameters);
            assertEquals(Files.readString(folder.resolve("config.json")), source.config().orElseThrow());
            for (String asset : FlaxMsgpack.ASSET_FILES) {
                Path file = folder.resolve(asset);
                assertEquals(Files.exists(file), source.asset(asset).isPresent(), asset);
                if (Files.exists(file)) {
                    assertArrayEquals(Files.readAllBytes(file), source.asset(asset).orElseThrow(), asset);
                }
            }
        }
    }

    @Test
    void clipLogitScaleIsAZeroDimensionalFixext16View() throws IOException {
        Path folder = Golden.file("clip/model");
        byte[] fixext16Header = {(byte) 0xd8, 0x01, (byte) 0x93, (byte) 0x90};
        assertTrue(indexOf(Files.readAllBytes(folder.resolve("flax_model.msgpack")), fixext16Header) > 0);
        try (FlaxMsgpack source = FlaxMsgpack.open(folder)) {
            Tensor logitScale = source.tensor("logit_scale");
            assertEquals(0, logitScale.rank());
            assertTrue(source.array("logit_scale").contiguous());
            // the manifest's init recipe: logit_scale = ln(100), stored as a 0-d float32
            assertEquals((float) Math.log(100), logitScale.getFloat(0));
        }
    }

    @Test
    void readsChunkedArraysScalarsAndHalfPrecision() throws IOException {
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 7;
        }
        byte[] f16 = new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0}; // 1.0, -2.0
        byte[] bf16 = new byte[] {(byte) 0x80, 0x3f, 0x40, 0x40}; // 1.0, 3.0
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("big", new ChunkedArray("float32", 4, floatBytes(values), 1204, 10, 100));
        tree.put("scale", TestArray.f32(new float[] {2.5f}));
        tree.put("scalar", new NumpyScalar(TestArray.f32(new float[] {-1.25f})));
        tree.put("half", Map.of("f16", TestArray.raw("float16", f16, 2), "bf16", TestArray.raw("bfloat16", bf16, 2)));
        Path file = temp.resolve("flax_model.msgpack");
        MsgpackWriter.writeTree(file, tree);
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(indexOf(bytes, new byte[] {(byte) 0xd8, 0x01, (byte) 0x93, (byte) 0x90}) > 0, "fixext16 type 1 written");
        assertTrue(indexOf(bytes, new byte[] {(byte) 0xd8, 0x03, (byte) 0x93, (byte) 0x90}) > 0, "fixext16 type 3 written");

        try (FlaxMsgpack source = FlaxMsgpack.open(file)) {
            assertEquals(List.of("big", "half/bf16", "half/f16", "scalar", "scale"), source.paths());
            FlaxArray big = source.array("big");
            assertEquals(4, big.pieces().size()); // 1000 floats in chunks of 301
            assertArrayEquals(new int[] {10, 100}, big.shape());
            assertArrayEquals(values, source.tensor("big").toFloatArray());
            assertEquals(2.5f, source.tensor("scale").getFloat(0));
            assertEquals(-1.25f, source.tensor("scalar").getFloat(0));
            assertArrayEquals(new float[] {1, -2}, source.tensor("half/f16").toFloatArray());
            assertEquals(DType.BF16, source.tensor("half/bf16").dtype());
            assertArrayEquals(new float[] {1, 3}, source.tensor("half/bf16").toFloatArray());
            assertTrue(source.config().isEmpty());
        }
    }

    @Test
    void unscannedDalleBartIsPresentedScanned() throws IOException {
        int layers = 3;
        Map<String, Object> encoderLayers = new TreeMap<>();
        float[][] kernels = new float[layers][];
        for (int i = 0; i < layers; i++) {
            kernels[i] = new float[6];
            for (int j = 0; j < 6; j++) {
                kernels[i][j] = 10 * i + j;
            }
            encoderLayers.put("FlaxBartEncoderLayer_" + i, Map.of(
                    "FlaxBartAttention_0", Map.of("q_proj", Map.of("kernel", TestArray.f32(kernels[i], 2, 3))),
                    "LayerNorm_0", Map.of("bias", TestArray.f32(new float[] {i, i}, 2))));
        }
        Map<String, Object> tree = Map.of("model", Map.of("encoder", Map.of("layers", encoderLayers,
                "final_ln", Map.of("bias", TestArray.f32(new float[] {1, 2}, 2)))));
        Path file = temp.resolve("unscanned.msgpack");
        MsgpackWriter.writeTree(file, tree);

        try (FlaxMsgpack source = FlaxMsgpack.open(file)) {
            String stack = "model/encoder/layers/FlaxBartEncoderLayers/";
            assertEquals(List.of("model/encoder/final_ln/bias", stack + "FlaxBartAttention_0/q_proj/kernel",
                    stack + "LayerNorm_0/bias"), source.paths());
            Tensor q = source.tensor(stack + "FlaxBartAttention_0/q_proj/kernel");
            assertArrayEquals(new int[] {layers, 2, 3}, q.shape());
            for (int i = 0; i < layers; i++) {
                assertArrayEquals(kernels[i], q.slice(i).toFloatArray());
            }
            assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2}, source.tensor(stack + "LayerNorm_0/bias").toFloatArray());
            assertFalse(source.contains("model/encoder/layers/FlaxBartEncoderLayer_0/LayerNorm_0/bias"));
        }
    }

    /** A sparse 2.2 GB checkpoint: the second leaf's data lies past the 2 GiB a ByteBuffer can address. */
    @Test
    void readsCheckpointsAboveTwoGibibytes() throws IOException {
        long bigCount = 550_000_000L;
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        MsgpackWriter writer = new MsgpackWriter(head);
        writer.map(2).str("a").ndarray(new TestArray("float32", new long[] {bigCount}, bigCount * 4, out -> { }), 1).flush();
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        new MsgpackWriter(tail).str("b").ndarray(TestArray.f32(new float[] {1.5f, -3f}, 2), 1).flush();
        Path file = temp.resolve("big.msgpack");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(head.toByteArray());
            raf.seek(head.size() + bigCount * 4); // the zeros of "a" stay a hole in the file
            raf.write(tail.toByteArray());
        }
        assertTrue(Files.size(file) > 1L << 31);
        try (FlaxMsgpack source = FlaxMsgpack.open(file)) {
            Tensor a = source.tensor("a");
            assertEquals(bigCount, a.elementCount());
            assertEquals(0f, a.getFloat(bigCount - 1));
            assertArrayEquals(new float[] {1.5f, -3f}, source.tensor("b").toFloatArray());
        }
    }

    static byte[] floatBytes(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
