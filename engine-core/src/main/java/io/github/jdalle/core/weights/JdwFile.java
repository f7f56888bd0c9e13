package io.github.jdalle.core.weights;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.weights.JdwIndex.AssetInfo;
import io.github.jdalle.core.weights.JdwIndex.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A jdalle weight file ({@code .jdw}) opened as a {@link WeightSource}: one memory map, every tensor a view.
 *
 * <p>Layout (all numbers little-endian):
 * <pre>
 *   0       magic  0x89 'J' 'D' 'W' '\r' '\n' 0x1a '\n'   (PNG-style: catches text-mode and truncating transfers)
 *   8       index length N (uint64)
 *   16      the FlatBuffers index, N bytes (schema engine-core/src/main/fbs/jdw.fbs, identifier "JDW1")
 *   16+N    zero padding to a multiple of 64: the data region, where every tensor and asset starts at a
 *           64-byte aligned absolute offset named in the index
 * </pre>
 * The whole file is mapped once with {@code FileChannel.map} into a shared {@link Arena}, so files above
 * 2 GiB work, tensors are zero-copy and 64-byte aligned, and {@link #close()} unmaps. Every offset, length
 * and shape in the index is checked against the file size when the file is opened; checksums are only
 * checked by {@link #verify()}, which reads the whole file.
 */
public final class JdwFile implements WeightSource {
    /** The layout version this reader understands and the converter writes. */
    public static final int FORMAT_VERSION = 1;
    /** Alignment of every tensor and asset in the data region, in bytes. */
    public static final int ALIGNMENT = 64;
    /** Magic plus index length. */
    public static final int HEADER_BYTES = 16;

    private static final byte[] MAGIC = {(byte) 0x89, 'J', 'D', 'W', '\r', '\n', 0x1a, '\n'};
    /** CRC32C is computed through ByteBuffers, which address at most 2 GiB: check in windows of 1 GiB. */
    private static final long CRC_WINDOW = 1L << 30;

    private final Path file;
    private final Arena arena;
    private final MemorySegment mapped;
    private final JdwIndex index;
    private final Map<String, Tensor> tensors;
    private final Map<String, AssetInfo> assets;

    private JdwFile(Path file, Arena arena, MemorySegment mapped, JdwIndex index, Map<String, Tensor> tensors,
            Map<String, AssetInfo> assets) {
        this.file = file;
        this.arena = arena;
        this.mapped = mapped;
        this.index = index;
        this.tensors = tensors;
        this.assets = assets;
    }

    /** The eight magic bytes every weight file starts with. */
    public static byte[] magic() {
        return MAGIC.clone();
    }

    /** {@code offset} rounded up to the next multiple of {@link #ALIGNMENT}. */
    public static long align(long offset) {
        return Math.ceilDiv(offset, ALIGNMENT) * ALIGNMENT;
    }

    /** Maps {@code file} and checks its header and index; throws a {@link JdalleException} naming what is wrong. */
    public static JdwFile open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return read(file, arena, mapped);
        } catch (IOException e) {
            arena.close();
            throw new JdalleException(file + ": cannot read: " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static JdwFile read(Path file, Arena arena, MemorySegment mapped) {
        long size = mapped.byteSize();
        if (size < HEADER_BYTES) {
            throw new JdalleException(file + ": truncated: " + size + " bytes, a weight file starts with a "
                    + HEADER_BYTES + "-byte header");
        }
        if (!Arrays.equals(mapped.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE), MAGIC)) {
            throw new JdalleException(file + ": not a jdalle weight file (wrong magic); a Flax checkpoint must be "
                    + "converted first (jdalle convert)");
        }
        long indexLength = mapped.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), MAGIC.length);
        if (indexLength <= 0 || indexLength > Integer.MAX_VALUE || indexLength > size - HEADER_BYTES) {
            throw new JdalleException(file + ": truncated or corrupt: index length " + Long.toUnsignedString(indexLength)
                    + " does not fit in the file (" + size + " bytes)");
        }
        ByteBuffer indexBytes = ByteBuffer.wrap(mapped.asSlice(HEADER_BYTES, indexLength).toArray(ValueLayout.JAVA_BYTE));
        JdwIndex index = JdwIndex.decode(indexBytes, file.toString());
        long dataStart = align(HEADER_BYTES + indexLength);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorInfo t : index.tensors()) {
            String where = file + ": " + t.path() + ": ";
            int[] shape = checkShape(t.shape(), where);
            long needed = Tensor.elementCount(shape) * t.dtype().byteSize();
            if (t.length() != needed) {
                throw new JdalleException(where + "length " + Long.toUnsignedString(t.length()) + " bytes, but shape "
                        + Arrays.toString(shape) + " " + t.dtype() + " needs " + needed);
            }
            checkRange(t.offset(), t.length(), dataStart, size, where);
            if (tensors.put(t.path(), Tensor.of(t.dtype(), mapped.asSlice(t.offset(), t.length()), shape)) != null) {
                throw new JdalleException(where + "stored twice");
            }
        }
        Map<String, AssetInfo> assets = new LinkedHashMap<>();
        for (AssetInfo a : index.assets()) {
            String where = file + ": asset " + a.name() + ": ";
            checkRange(a.offset(), a.length(), dataStart, size, where);
            if (assets.put(a.name(), a) != null) {
                throw new JdalleException(where + "stored twice");
            }
        }
        return new JdwFile(file, arena, mapped, index, tensors, assets);
    }

    /** Dimensions must be non-negative ints whose product, in bytes, fits a long. */
    private static int[] checkShape(long[] dims, String where) {
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw new JdalleException(where + "dimension " + i + " of shape " + Arrays.toString(dims) + " is out of range");
            }
            shape[i] = (int) dims[i];
        }
        try {
            Math.multiplyExact(Tensor.elementCount(shape), 8L);
        } catch (ArithmeticException e) {
            throw new JdalleException(where + "shape " + Arrays.toString(dims) + " overflows: more elements than a file can hold");
        }
        return shape;
    }

    /** {@code [offset, offset + length)} must be aligned, inside the data region and inside the file. */
    private static void checkRange(long offset, long length, long dataStart, long size, String where) {
        String range = "data at offset " + Long.toUnsignedString(offset) + " (" + Long.toUnsignedString(length) + " bytes)";
        if (offset < dataStart || offset % ALIGNMENT != 0) {
            throw new JdalleException(where + range + " is not a " + ALIGNMENT + "-byte aligned offset in the data region"
                    + " (which starts at " + dataStart + ")");
        }
        if (length < 0 || offset > size || length > size - offset) {
            throw new JdalleException(where + range + " runs past the end of the file (" + size + " bytes): truncated?");
        }
    }

    /** The file this was opened from. */
    public Path file() {
        return file;
    }

    /** The model the weights are for. */
    public ModelKind kind() {
        return index.kind();
    }

    /** The decoded index: paths, dtypes, shapes, offsets, lengths and checksums. */
    public JdwIndex index() {
        return index;
    }

    /** Size of the file in bytes. */
    public long fileSize() {
        return mapped.byteSize();
    }

    /** A summary for {@code jdalle info}: kind, config, tensor count, dtypes and sizes. */
    public JdwInfo info() {
        Map<DType, Integer> tensorsByDType = new EnumMap<>(DType.class);
        Map<DType, Long> bytesByDType = new EnumMap<>(DType.class);
        long parameters = 0;
        for (TensorInfo t : index.tensors()) {
            tensorsByDType.merge(t.dtype(), 1, Integer::sum);
            bytesByDType.merge(t.dtype(), t.length(), Long::sum);
            parameters += t.length() / t.dtype().byteSize();
        }
        Map<String, Long> assetSizes = new LinkedHashMap<>();
        index.assets().forEach(a -> assetSizes.put(a.name(), a.length()));
        return new JdwInfo(file, fileSize(), index.formatVersion(), index.kind(), index.config(), index.tensors().size(),
                parameters, tensorsByDType, bytesByDType, assetSizes);
    }

    /**
     * Reads the whole file and checks the CRC32C of every tensor and asset; returns how many were checked.
     * Throws a {@link JdalleException} listing every entry whose data no longer matches its checksum.
     */
    public int verify() {
        List<String> corrupt = new ArrayList<>();
        for (TensorInfo t : index.tensors()) {
            check(t.path(), t.offset(), t.length(), t.crc32c(), corrupt);
        }
        for (AssetInfo a : index.assets()) {
            check("asset " + a.name(), a.offset(), a.length(), a.crc32c(), corrupt);
        }
        if (!corrupt.isEmpty()) {
            throw new JdalleException(file + ": corrupt: CRC32C mismatch in " + corrupt.size() + " of "
                    + (index.tensors().size() + index.assets().size()) + " entries: "
                    + String.join(", ", corrupt.subList(0, Math.min(corrupt.size(), 10)))
                    + (corrupt.size() > 10 ? ", …" : ""));
        }
        return index.tensors().size() + index.assets().size();
    }

    private void check(String what, long offset, long length, int expected, List<String> corrupt) {
        int actual = crc32c(mapped.asSlice(offset, length));
        if (actual != expected) {
            corrupt.add(String.format("%s (stored %08x, computed %08x)", what, expected, actual));
        }
    }

    /** The CRC32C of {@code data}, of any size. */
    public static int crc32c(MemorySegment data) {
        CRC32C crc = new CRC32C();
        for (long at = 0; at < data.byteSize(); at += CRC_WINDOW) {
            crc.update(data.asSlice(at, Math.min(CRC_WINDOW, data.byteSize() - at)).asByteBuffer());
        }
        return (int) crc.getValue();
    }

    @Override
    public String description() {
        return file.toString();
    }

    @Override
    public Tensor tensor(String path) {
        Tensor tensor = tensors.get(path);
        if (tensor == null) {
            throw new JdalleException(file + ": " + path + ": no such tensor in the weight file");
        }
        return tensor;
    }

    @Override
    public boolean contains(String path) {
        return tensors.containsKey(path);
    }

    @Override
    public List<String> paths() {
        return tensors.keySet().stream().sorted().toList();
    }

    @Override
    public Optional<String> config() {
        return Optional.ofNullable(index.config());
    }

    @Override
    public Optional<byte[]> asset(String name) {
        AssetInfo asset = assets.get(name);
        return asset == null ? Optional.empty()
                : Optional.of(mapped.asSlice(asset.offset(), asset.length()).toArray(ValueLayout.JAVA_BYTE));
    }

    /** Unmaps the file; every tensor of it becomes invalid. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
