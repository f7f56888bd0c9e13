package io.github.jdalle.core.weights;

import com.google.flatbuffers.FlatBufferBuilder;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.weights.fb.AssetEntry;
import io.github.jdalle.core.weights.fb.ElementType;
import io.github.jdalle.core.weights.fb.Kind;
import io.github.jdalle.core.weights.fb.TensorEntry;
import io.github.jdalle.core.weights.fb.WeightIndex;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The index of a {@code .jdw} weight file as plain Java values, and its FlatBuffers encoding (schema
 * {@code engine-core/src/main/fbs/jdw.fbs}). {@link #prefix()} gives the bytes that precede the data region:
 * magic, index length, index, padding. The encoding's size depends only on the paths, names, shapes and
 * config, never on offsets or checksums (every field is always written), so a writer can encode a draft to
 * learn where the data starts, write the data, and then encode the final index into the same space.
 *
 * @param formatVersion {@link JdwFile#FORMAT_VERSION} for files written by this version
 * @param kind          the model the weights are for
 * @param config        the original {@code config.json} text, or null
 * @param assets        named files such as {@code vocab.json}
 * @param tensors       every tensor, sorted by path
 */
public record JdwIndex(int formatVersion, ModelKind kind, String config, List<AssetInfo> assets,
        List<TensorInfo> tensors) {

    /** A tensor of the file: {@code length} bytes at absolute offset {@code offset} with their CRC32C. */
    public record TensorInfo(String path, DType dtype, long[] shape, long offset, long length, int crc32c) {
        public TensorInfo {
            shape = shape.clone();
        }

        /** A copy of the dimensions as stored (the reader checks that they fit a {@code Tensor}). */
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** A named asset of the file: {@code length} bytes at absolute offset {@code offset} with their CRC32C. */
    public record AssetInfo(String name, long offset, long length, int crc32c) {
    }

    public JdwIndex {
        assets = List.copyOf(assets);
        tensors = List.copyOf(tensors);
    }

    /** The bytes before the data region: magic, index length, the FlatBuffers index, zero padding to 64. */
    public byte[] prefix() {
        ByteBuffer index = encode();
        int indexLength = index.remaining();
        long dataStart = JdwFile.align(JdwFile.HEADER_BYTES + (long) indexLength);
        ByteBuffer prefix = ByteBuffer.allocate(Math.toIntExact(dataStart)).order(ByteOrder.LITTLE_ENDIAN);
        prefix.put(JdwFile.magic()).putLong(indexLength).put(index);
        return prefix.array();
    }

    /** The FlatBuffers encoding of this index. */
    public ByteBuffer encode() {
        FlatBufferBuilder builder = new FlatBufferBuilder(1024).forceDefaults(true);
        int[] tensorOffsets = new int[tensors.size()];
        for (int i = 0; i < tensorOffsets.length; i++) {
            TensorInfo t = tensors.get(i);
            int path = builder.createString(t.path());
            int shape = TensorEntry.createShapeVector(builder, t.shape());
            tensorOffsets[i] = TensorEntry.createTensorEntry(builder, path, elementType(t.dtype()), shape, t.offset(),
                    t.length(), Integer.toUnsignedLong(t.crc32c()));
        }
        int[] assetOffsets = new int[assets.size()];
        for (int i = 0; i < assetOffsets.length; i++) {
            AssetInfo a = assets.get(i);
            assetOffsets[i] = AssetEntry.createAssetEntry(builder, builder.createString(a.name()), a.offset(), a.length(),
                    Integer.toUnsignedLong(a.crc32c()));
        }
        int configOffset = config == null ? 0 : builder.createString(config);
        int assetsOffset = WeightIndex.createAssetsVector(builder, assetOffsets);
        int tensorsOffset = WeightIndex.createTensorsVector(builder, tensorOffsets);
        WeightIndex.startWeightIndex(builder);
        WeightIndex.addFormatVersion(builder, formatVersion);
        WeightIndex.addKind(builder, kindCode(kind));
        if (config != null) {
            // forceDefaults would otherwise store the 0 "absent" offset as a real one
            WeightIndex.addConfigJson(builder, configOffset);
        }
        WeightIndex.addAssets(builder, assetsOffset);
        WeightIndex.addTensors(builder, tensorsOffset);
        int root = WeightIndex.endWeightIndex(builder);
        WeightIndex.finishWeightIndexBuffer(builder, root);
        return builder.dataBuffer();
    }

    /**
     * Decodes the FlatBuffers index in {@code index}, checking its identifier, version, kind, dtypes and
     * names; offsets and lengths are left to {@link JdwFile}, which knows the file size. {@code file} names
     * the source in error messages.
     */
    public static JdwIndex decode(ByteBuffer index, String file) {
        index.order(ByteOrder.LITTLE_ENDIAN);
        if (!WeightIndex.WeightIndexBufferHasIdentifier(index)) {
            throw new JdalleException(file + ": index has no JDW1 identifier: not a jdalle weight file or a corrupt one");
        }
        try {
            WeightIndex root = WeightIndex.getRootAsWeightIndex(index);
            long version = root.formatVersion();
            if (version != JdwFile.FORMAT_VERSION) {
                throw new JdalleException(file + ": format version " + version + " is not supported (this jdalle reads "
                        + JdwFile.FORMAT_VERSION + "); convert the checkpoint again");
            }
            List<TensorInfo> tensors = new ArrayList<>(root.tensorsLength());
            TensorEntry entry = new TensorEntry();
            for (int i = 0; i < root.tensorsLength(); i++) {
                root.tensors(entry, i);
                String path = entry.path();
                if (path == null || path.isEmpty()) {
                    throw new JdalleException(file + ": tensor " + i + " has no path");
                }
                long[] shape = new long[entry.shapeLength()];
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = entry.shape(d);
                }
                tensors.add(new TensorInfo(path, dtype(entry.dtype(), file, path), shape, entry.offset(), entry.length(),
                        (int) entry.crc32c()));
            }
            List<AssetInfo> assets = new ArrayList<>(root.assetsLength());
            AssetEntry asset = new AssetEntry();
            for (int i = 0; i < root.assetsLength(); i++) {
                root.assets(asset, i);
                if (asset.name() == null || asset.name().isEmpty()) {
                    throw new JdalleException(file + ": asset " + i + " has no name");
                }
                assets.add(new AssetInfo(asset.name(), asset.offset(), asset.length(), (int) asset.crc32c()));
            }
            return new JdwIndex((int) version, kind(root.kind(), file), root.configJson(), assets, tensors);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            // FlatBuffers reads offsets from the buffer itself; a corrupt index points outside it.
            throw new JdalleException(file + ": corrupt index (" + e.getMessage() + ")", e);
        }
    }

    private static byte kindCode(ModelKind kind) {
        return switch (kind) {
            case DALLE_BART -> Kind.DALLE_BART;
            case VQGAN -> Kind.VQGAN;
            case CLIP -> Kind.CLIP;
        };
    }

    private static ModelKind kind(byte code, String file) {
        return switch (code) {
            case Kind.DALLE_BART -> ModelKind.DALLE_BART;
            case Kind.VQGAN -> ModelKind.VQGAN;
            case Kind.CLIP -> ModelKind.CLIP;
            default -> throw new JdalleException(file + ": unknown model kind " + code);
        };
    }

    private static byte elementType(DType dtype) {
        return switch (dtype) {
            case F32 -> ElementType.F32;
            case F16 -> ElementType.F16;
            case BF16 -> ElementType.BF16;
            case I32 -> ElementType.I32;
        };
    }

    private static DType dtype(byte elementType, String file, String path) {
        return switch (elementType) {
            case ElementType.F32 -> DType.F32;
            case ElementType.F16 -> DType.F16;
            case ElementType.BF16 -> DType.BF16;
            case ElementType.I32 -> DType.I32;
            default -> throw new JdalleException(file + ": " + path + ": unknown element type " + elementType);
        };
    }
}
