package io.github.jdalle.convert;

import io.github.jdalle.core.io.AtomicFiles;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.weights.JdwFile;
import io.github.jdalle.core.weights.JdwIndex;
import io.github.jdalle.core.weights.JdwIndex.AssetInfo;
import io.github.jdalle.core.weights.JdwIndex.TensorInfo;
import io.github.jdalle.core.weights.ModelKind;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Converts a Flax checkpoint into a jdalle weight file ({@code .jdw}, see {@link JdwFile}), streaming.
 *
 * <p>The checkpoint is memory-mapped ({@link FlaxMsgpack}) and each tensor is copied to the output in blocks
 * of {@value #BLOCK_BYTES} bytes, converted on the way when {@code --dtype} asks for another type, so memory
 * use does not grow with the model: DALL·E Mega (10.4 GB) converts in a small heap. The file is written as
 * a hidden temporary file in the target folder and moved over the target atomically at the end; on any
 * failure the temporary file is deleted and the target is left as it was.
 *
 * <p>Layout: the index is encoded once as a draft to learn where the data starts (its size depends only on
 * names, shapes and config, see {@link JdwIndex}); the tensors are written there in path order, each
 * 64-byte aligned, then the assets; last the final index, with every CRC32C, goes into the space before.
 */
public final class Converter {
    /** Output bytes converted and written per step: bounds the heap and direct memory a conversion needs. */
    static final int BLOCK_BYTES = 4 << 20;

    private final FileChannel channel;
    private final ProgressListener progress;
    private final long totalBytes;
    private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_BYTES);
    private final MemorySegment blockSegment = MemorySegment.ofBuffer(block);
    private final ElementConverter elements = new ElementConverter(BLOCK_BYTES / Float.BYTES);
    private long bytesDone;

    private Converter(FileChannel channel, ProgressListener progress, long totalBytes) {
        this.channel = channel;
        this.progress = progress;
        this.totalBytes = totalBytes;
    }

    /**
     * Converts {@code source} — a hub model folder or a single {@code flax_model.msgpack} — into {@code output}.
     *
     * @param configOrNull the model's {@code config.json}; null means the one in the source folder
     * @param dtype        {@link TargetDType#KEEP} to keep each tensor's stored type, or the type to store
     * @param progress     told after every block; {@link ProgressListener#NONE} to ignore
     */
    public static ConversionReport convert(Path source, Path configOrNull, Path output, TargetDType dtype,
            ProgressListener progress) {
        try (FlaxMsgpack checkpoint = FlaxMsgpack.open(source, configOrNull)) {
            return convert(checkpoint, output, dtype, progress);
        }
    }

    /** Converts an opened checkpoint, which must carry its {@code config.json}, into {@code output}. */
    public static ConversionReport convert(FlaxMsgpack checkpoint, Path output, TargetDType dtype,
            ProgressListener progress) {
        long start = System.nanoTime();
        String config = checkpoint.config().orElseThrow(() -> new JdalleException(checkpoint.description()
                + ": no config.json beside the checkpoint; pass the model's config.json (--config)"));
        ModelKind kind = ModelKind.recognise(checkpoint.paths(), checkpoint.config(), checkpoint.description());
        List<FlaxArray> arrays = List.copyOf(checkpoint.arrays());
        Map<String, byte[]> assets = new LinkedHashMap<>();
        for (String name : checkpoint.assetNames()) {
            assets.put(name, checkpoint.asset(name).orElseThrow());
        }
        int[] noChecksums = new int[arrays.size() + assets.size()];
        long dataStart = index(kind, config, arrays, dtype, assets, 0, noChecksums).prefix().length;
        JdwIndex layout = index(kind, config, arrays, dtype, assets, dataStart, noChecksums);
        long sourceBytes = arrays.stream().mapToLong(FlaxArray::byteSize).sum();
        long totalBytes = layout.tensors().stream().mapToLong(TensorInfo::length).sum();

        Path target = output.toAbsolutePath();
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            temp = AtomicFiles.createSibling(target, ".part");
            Converter converter;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                converter = new Converter(channel, progress, totalBytes);
                int[] checksums = converter.writeData(layout, arrays, assets);
                byte[] prefix = index(kind, config, arrays, dtype, assets, dataStart, checksums).prefix();
                if (prefix.length != dataStart) {
                    throw new IllegalStateException("index grew from " + dataStart + " to " + prefix.length + " bytes");
                }
                converter.write(ByteBuffer.wrap(prefix), 0);
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            return new ConversionReport(target, kind, arrays.size(), sourceBytes, Files.size(target),
                    converter.elements.overflowed(), converter.elements.flushedToZero(), elapsed);
        } catch (IOException e) {
            deleteQuietly(temp, e);
            throw new JdalleException(output + ": cannot write: " + e, e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(temp, e);
            throw e;
        }
    }

    /** The index for this layout: tensors from {@code dataStart} in path order, then assets, each 64-byte aligned. */
    private static JdwIndex index(ModelKind kind, String config, List<FlaxArray> arrays, TargetDType dtype,
            Map<String, byte[]> assets, long dataStart, int[] checksums) {
        long offset = dataStart;
        int entry = 0;
        List<TensorInfo> tensors = new ArrayList<>();
        for (FlaxArray array : arrays) {
            DType stored = dtype.resolve(array.dtype());
            long length = array.elementCount() * stored.byteSize();
            long[] shape = Arrays.stream(array.shape()).asLongStream().toArray();
            tensors.add(new TensorInfo(array.path(), stored, shape, offset, length, checksums[entry++]));
            offset = JdwFile.align(offset + length);
        }
        List<AssetInfo> assetInfos = new ArrayList<>();
        for (Map.Entry<String, byte[]> asset : assets.entrySet()) {
            assetInfos.add(new AssetInfo(asset.getKey(), offset, asset.getValue().length, checksums[entry++]));
            offset = JdwFile.align(offset + asset.getValue().length);
        }
        return new JdwIndex(JdwFile.FORMAT_VERSION, kind, config, assetInfos, tensors);
    }

    /** Writes every tensor and asset where {@code layout} puts it; returns their CRC32Cs in index order. */
    private int[] writeData(JdwIndex layout, List<FlaxArray> arrays, Map<String, byte[]> assets) throws IOException {
        int[] checksums = new int[arrays.size() + assets.size()];
        int entry = 0;
        for (TensorInfo tensor : layout.tensors()) {
            checksums[entry] = writeTensor(arrays.get(entry), tensor);
            entry++;
        }
        for (AssetInfo asset : layout.assets()) {
            ByteBuffer bytes = ByteBuffer.wrap(assets.get(asset.name()));
            CRC32C crc = new CRC32C();
            crc.update(bytes.duplicate());
            write(bytes, asset.offset());
            checksums[entry++] = (int) crc.getValue();
        }
        return checksums;
    }

    /** Streams one array to its place, block by block, converting when the stored type changes. */
    private int writeTensor(FlaxArray array, TensorInfo tensor) throws IOException {
        CRC32C crc = new CRC32C();
        long position = tensor.offset();
        DType from = array.dtype();
        DType to = tensor.dtype();
        int blockElements = BLOCK_BYTES / Math.max(from.byteSize(), to.byteSize());
        for (MemorySegment piece : array.pieces()) {
            long count = piece.byteSize() / from.byteSize();
            for (long done = 0; done < count; done += blockElements) {
                int n = (int) Math.min(blockElements, count - done);
                MemorySegment input = piece.asSlice(done * from.byteSize(), (long) n * from.byteSize());
                ByteBuffer out;
                if (from == to) {
                    out = input.asByteBuffer(); // straight from the mapped checkpoint
                } else {
                    elements.convert(input, from, blockSegment, to, n);
                    out = block.slice(0, n * to.byteSize());
                }
                crc.update(out.duplicate());
                position += write(out, position);
                bytesDone += (long) n * to.byteSize();
                progress.progress(array.path(), bytesDone, totalBytes);
            }
        }
        return (int) crc.getValue();
    }

    /** Writes all of {@code bytes} at {@code position}; returns how many. */
    private int write(ByteBuffer bytes, long position) throws IOException {
        int length = bytes.remaining();
        for (long at = position; bytes.hasRemaining(); ) {
            at += channel.write(bytes, at);
        }
        return length;
    }

    private static void deleteQuietly(Path temp, Throwable failure) {
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * A minimal command line for scripts and tests (the {@code jdalle} CLI offers the same as
     * {@code jdalle convert}): {@code Converter SRC OUT.jdw [--dtype keep|f32|f16|bf16] [--config FILE]}.
     * Prints the report, or one error line and exits with status 1.
     */
    public static void main(String[] args) {
        try {
            if (args.length < 2 || args.length % 2 != 0) {
                throw new JdalleException("usage: Converter SRC OUT.jdw [--dtype keep|f32|f16|bf16] [--config FILE]");
            }
            TargetDType dtype = TargetDType.KEEP;
            Path config = null;
            for (int i = 2; i < args.length; i += 2) {
                switch (args[i]) {
                    case "--dtype" -> dtype = TargetDType.parse(args[i + 1]);
                    case "--config" -> config = Path.of(args[i + 1]);
                    default -> throw new JdalleException("unknown option " + args[i]);
                }
            }
            System.out.println(convert(Path.of(args[0]), config, Path.of(args[1]), dtype, ProgressListener.NONE).summary());
        } catch (JdalleException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
