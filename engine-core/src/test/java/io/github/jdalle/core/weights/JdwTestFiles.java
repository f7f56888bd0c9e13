package io.github.jdalle.core.weights;

import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.weights.JdwIndex.AssetInfo;
import io.github.jdalle.core.weights.JdwIndex.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Writes small weight files for reader tests (the real writer is the weights-converter's). */
final class JdwTestFiles {
    private JdwTestFiles() {
    }

    /** Writes {@code tensors} (in map order) and {@code assets} to {@code file}; returns the index written. */
    static JdwIndex write(Path file, ModelKind kind, String config, Map<String, Tensor> tensors, Map<String, byte[]> assets)
            throws IOException {
        JdwIndex draft = layout(kind, config, tensors, assets, 0);
        JdwIndex index = layout(kind, config, tensors, assets, draft.prefix().length);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(index.prefix()), 0);
            for (TensorInfo t : index.tensors()) {
                out.write(tensors.get(t.path()).segment().asByteBuffer(), t.offset());
            }
            for (AssetInfo a : index.assets()) {
                out.write(ByteBuffer.wrap(assets.get(a.name())), a.offset());
            }
        }
        return index;
    }

    /** Writes {@code index}'s prefix and nothing else, then extends the file (sparsely) to {@code length}. */
    static void writeIndexOnly(Path file, JdwIndex index, long length) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(index.prefix()), 0);
            if (length > out.size()) {
                out.write(ByteBuffer.allocate(1), length - 1);
            }
        }
    }

    private static JdwIndex layout(ModelKind kind, String config, Map<String, Tensor> tensors, Map<String, byte[]> assets,
            long dataStart) {
        long offset = dataStart;
        List<TensorInfo> tensorInfos = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
            tensorInfos.add(new TensorInfo(e.getKey(), t.dtype(), shape, offset, t.byteSize(), JdwFile.crc32c(t.segment())));
            offset = JdwFile.align(offset + t.byteSize());
        }
        List<AssetInfo> assetInfos = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : assets.entrySet()) {
            byte[] bytes = e.getValue();
            assetInfos.add(new AssetInfo(e.getKey(), offset, bytes.length, JdwFile.crc32c(MemorySegment.ofArray(bytes))));
            offset = JdwFile.align(offset + bytes.length);
        }
        return new JdwIndex(JdwFile.FORMAT_VERSION, kind, config, assetInfos, tensorInfos);
    }
}
