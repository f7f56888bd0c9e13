package io.github.jdalle.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jdalle.convert.MsgpackWriter.TestArray;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.HalfFloats;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.weights.JdwFile;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Converts a generated 208 MB checkpoint, whose largest tensor is 192 MB, in a child JVM with a 64 MB heap and
 * 16 MB of direct memory: it only passes if no tensor is ever held whole in memory.
 */
class StreamingConversionTest {
    @TempDir
    Path temp;

    @Test
    void convertsInASixtyFourMegabyteHeap() throws IOException, InterruptedException {
        Path folder = Files.createDirectories(temp.resolve("model"));
        TestArray big = TestArray.randomF32(7, 48, 1024, 1024);
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("decoder", Map.of("mid", Map.of("kernel", big)));
        tree.put("encoder", Map.of("conv_in", Map.of("bias", TestArray.f32(new float[] {1, 2}, 2))));
        tree.put("quantize", Map.of("embedding", Map.of("embedding", TestArray.randomF32(8, 16384, 256))));
        MsgpackWriter.writeTree(folder.resolve(FlaxMsgpack.CHECKPOINT_FILE), tree);
        Files.writeString(folder.resolve(FlaxMsgpack.CONFIG_FILE), "{}");
        Path output = temp.resolve("model.jdw");

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(List.of(java.toString(), "-Xmx64m", "-XX:MaxDirectMemorySize=16m",
                "-cp", System.getProperty("java.class.path"), Converter.class.getName(),
                folder.toString(), output.toString(), "--dtype", "f16"))
                .redirectErrorStream(true).start();
        String log = new String(child.getInputStream().readAllBytes());
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "conversion finished");
        assertEquals(0, child.exitValue(), log);
        assertTrue(log.contains("VQGAN, 3 tensors"), log);

        try (FlaxMsgpack source = FlaxMsgpack.open(folder); JdwFile jdw = JdwFile.open(output)) {
            assertEquals(3, jdw.verify());
            for (String path : source.paths()) {
                Tensor expected = source.tensor(path);
                Tensor actual = jdw.tensor(path);
                assertEquals(DType.F16, actual.dtype(), path);
                for (long i = 0; i < expected.elementCount(); i += 9973) {
                    assertEquals(HalfFloats.floatToF16(expected.getFloat(i)), actual.segment().getAtIndex(
                            ValueLayout.JAVA_SHORT_UNALIGNED, i), path + "[" + i + "]");
                }
            }
        }
    }
}
