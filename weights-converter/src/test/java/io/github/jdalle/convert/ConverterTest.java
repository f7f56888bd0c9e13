package io.github.jdalle.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jdalle.convert.MsgpackWriter.ChunkedArray;
import io.github.jdalle.convert.MsgpackWriter.TestArray;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.weights.JdwFile;
import io.github.jdalle.core.weights.JdwInfo;
import io.github.jdalle.core.weights.ModelKind;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Conversion of the golden and of generated checkpoints, checked tensor by tensor against the msgpack. */
class ConverterTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @CsvSource({"dallebart, DALLE_BART", "vqgan, VQGAN", "clip, CLIP"})
    void goldenCheckpointConvertsBitForBit(String component, ModelKind kind) throws IOException {
        Path folder = Golden.file(component + "/model");
        Path output = temp.resolve(component + ".jdw");
        AtomicLong lastProgress = new AtomicLong();
        ConversionReport report = Converter.convert(folder, null, output, TargetDType.KEEP,
                (path, done, total) -> lastProgress.set(total - done));
        assertEquals(0, lastProgress.get(), "progress reaches the total");
        assertEquals(kind, report.kind());
        assertEquals(0, report.overflowed() + report.flushedToZero());

        try (FlaxMsgpack msgpack = FlaxMsgpack.open(folder); JdwFile jdw = JdwFile.open(output)) {
            assertEquals(kind, jdw.kind());
            assertEquals(msgpack.paths(), jdw.paths());
            for (String path : msgpack.paths()) {
                Tensor expected = msgpack.tensor(path);
                Tensor actual = jdw.tensor(path);
                assertEquals(expected.dtype(), actual.dtype(), path);
                assertArrayEquals(expected.shape(), actual.shape(), path);
                assertArrayEquals(expected.segment().toArray(ValueLayout.JAVA_BYTE), actual.segment().toArray(ValueLayout.JAVA_BYTE), path);
            }
            assertEquals(msgpack.config(), jdw.config());
            for (String asset : msgpack.assetNames()) {
                assertArrayEquals(msgpack.asset(asset).orElseThrow(), jdw.asset(asset).orElseThrow(), asset);
            }
            assertEquals(msgpack.paths().size() + msgpack.assetNames().size(), jdw.verify());
            JdwInfo info = jdw.info();
            assertEquals(report.tensorCount(), info.tensorCount());
            assertEquals(report.outputBytes(), info.fileSize());
            assertEquals(Map.of(DType.F32, msgpack.paths().size()), info.tensorsByDType());
        }
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(output), left.toList(), "no temporary file left behind");
        }
    }

    @ParameterizedTest
    @CsvSource({"F16, F16", "BF16, BF16", "F32, F32", "KEEP, F32"})
    void convertsChunkedArraysAndScalarsToEveryDType(TargetDType target, DType stored) throws IOException {
        float[] values = new float[3 * 1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i) * 3;
        }
        Map<String, Object> tree = new LinkedHashMap<>(vqganLike());
        tree.put("decoder", Map.of("stack", new ChunkedArray("float32", 4, FlaxMsgpackTest.floatBytes(values), 4000, 3, 1000),
                "scale", TestArray.f32(new float[] {0.125f})));
        Path folder = checkpointFolder("chunked", tree, "{}");
        Path output = temp.resolve("chunked.jdw");
        Converter.convert(folder, null, output, target, ProgressListener.NONE);

        try (FlaxMsgpack msgpack = FlaxMsgpack.open(folder); JdwFile jdw = JdwFile.open(output)) {
            assertEquals(3, msgpack.array("decoder/stack").pieces().size());
            Tensor stack = jdw.tensor("decoder/stack");
            assertEquals(stored, stack.dtype());
            assertArrayEquals(new int[] {3, 1000}, stack.shape());
            assertArrayEquals(narrowed(values, stored), stack.toFloatArray());
            assertEquals(0, jdw.tensor("decoder/scale").rank());
            assertEquals(0.125f, jdw.tensor("decoder/scale").getFloat(0));
            jdw.verify();
        }
    }

    @Test
    void unscannedDalleBartConvertsToTheScannedLayout() throws IOException {
        Map<String, Object> layers = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            layers.put("FlaxBartDecoderLayer_" + i, Map.of("GLU_0", Map.of("Dense_0",
                    Map.of("kernel", TestArray.f32(new float[] {i, i + 0.5f, -i}, 1, 3)))));
        }
        Map<String, Object> tree = Map.of(
                "lm_head", Map.of("kernel", TestArray.f32(new float[] {1, 2}, 1, 2)),
                "model", Map.of("encoder", Map.of("final_ln", Map.of("bias", TestArray.f32(new float[] {3}, 1))),
                        "decoder", Map.of("layers", layers)));
        Path folder = checkpointFolder("unscanned", tree, "{\"model_type\": \"dallebart\"}");
        Path output = temp.resolve("unscanned.jdw");
        assertEquals(ModelKind.DALLE_BART, Converter.convert(folder, null, output, TargetDType.KEEP, ProgressListener.NONE).kind());
        try (JdwFile jdw = JdwFile.open(output)) {
            Tensor kernel = jdw.tensor("model/decoder/layers/FlaxBartDecoderLayers/GLU_0/Dense_0/kernel");
            assertArrayEquals(new int[] {2, 1, 3}, kernel.shape());
            assertArrayEquals(new float[] {0, 0.5f, 0, 1, 1.5f, -1}, kernel.toFloatArray());
        }
    }

    @Test
    void singleFileWithSeparateConfig() throws IOException {
        Path folder = checkpointFolder("single", vqganLike(), "{\"embed_dim\": 2}");
        Path config = temp.resolve("elsewhere.json");
        Files.writeString(config, "{\"embed_dim\": 3}");
        Path output = temp.resolve("out/single.jdw");
        Converter.convert(folder.resolve(FlaxMsgpack.CHECKPOINT_FILE), config, output, TargetDType.KEEP, ProgressListener.NONE);
        try (JdwFile jdw = JdwFile.open(output)) {
            assertEquals("{\"embed_dim\": 3}", jdw.config().orElseThrow());
            assertEquals(ModelKind.VQGAN, jdw.kind());
        }
    }

    /** The smallest tree that {@link ModelKind#recognise} takes for a VQGAN. */
    static Map<String, Object> vqganLike() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("encoder", Map.of("conv_in", Map.of("bias", TestArray.f32(new float[] {1, 2}, 2))));
        tree.put("quantize", Map.of("embedding", Map.of("embedding", TestArray.f32(new float[] {1, 2, 3, 4}, 2, 2))));
        tree.put("decoder", Map.of("conv_in", Map.of("bias", TestArray.f32(new float[] {5}, 1))));
        return tree;
    }

    /** A hub-style folder holding {@code tree} as flax_model.msgpack and {@code config} as config.json. */
    Path checkpointFolder(String name, Map<String, ?> tree, String config) throws IOException {
        Path folder = Files.createDirectories(temp.resolve(name));
        MsgpackWriter.writeTree(folder.resolve(FlaxMsgpack.CHECKPOINT_FILE), tree);
        Files.writeString(folder.resolve(FlaxMsgpack.CONFIG_FILE), config);
        return folder;
    }

    /** {@code values} rounded to {@code stored} and widened back. */
    private static float[] narrowed(float[] values, DType stored) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = switch (stored) {
                case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]));
                case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
                default -> values[i];
            };
        }
        return out;
    }
}
