package io.github.jdalle.convert;

import io.github.jdalle.convert.MsgpackReader.BinValue;
import io.github.jdalle.convert.MsgpackReader.BoolValue;
import io.github.jdalle.convert.MsgpackReader.ExtValue;
import io.github.jdalle.convert.MsgpackReader.IntValue;
import io.github.jdalle.convert.MsgpackReader.ListValue;
import io.github.jdalle.convert.MsgpackReader.MapValue;
import io.github.jdalle.convert.MsgpackReader.StrValue;
import io.github.jdalle.convert.MsgpackReader.Value;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.weights.JdwFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns the msgpack of a {@code flax.serialization.to_bytes} file into its array leaves by "/"-joined path
 * (flax-msgpack spec §2–§6): nested str-keyed maps whose leaves are ext type 1 (ndarray) or 3 (numpy
 * scalar) holding {@code [shape, dtype name, raw bytes]}, and chunk maps standing in for arrays above 1 GiB.
 */
final class FlaxTree {
    /** The key that marks a chunked array's map ({@code flax/serialization.py} {@code _chunk}). */
    static final String CHUNK_MARKER = "__msgpack_chunked_array__";

    private static final int EXT_NDARRAY = 1;
    private static final int EXT_COMPLEX = 2;
    private static final int EXT_NUMPY_SCALAR = 3;

    private final String file;
    private final MemorySegment data;
    private final SortedMap<String, FlaxArray> arrays = new TreeMap<>();

    private FlaxTree(String file, MemorySegment data) {
        this.file = file;
        this.data = data;
    }

    /** Every array leaf of the checkpoint mapped as {@code data}, sorted by path. */
    static SortedMap<String, FlaxArray> read(String file, MemorySegment data) {
        FlaxTree tree = new FlaxTree(file, data);
        if (data.byteSize() == 0) {
            throw tree.error("", "empty file, not a Flax checkpoint");
        }
        byte[] jdwMagic = JdwFile.magic();
        if (data.byteSize() >= jdwMagic.length
                && Arrays.equals(data.asSlice(0, jdwMagic.length).toArray(ValueLayout.JAVA_BYTE), jdwMagic)) {
            throw tree.error("", "already a jdalle weight file (.jdw), not a Flax checkpoint");
        }
        MsgpackReader reader = tree.reader(0, data.byteSize());
        Value root = reader.read("");
        if (!(root instanceof MapValue map)) {
            throw tree.error("", "not a Flax parameter tree: the file holds " + MsgpackReader.describe(root)
                    + String.format(" (first byte 0x%02x), expected a map", data.get(ValueLayout.JAVA_BYTE, 0)));
        }
        if (reader.position() != data.byteSize()) {
            throw tree.error("", (data.byteSize() - reader.position()) + " unexpected bytes after the end of the tree at offset "
                    + reader.position());
        }
        tree.flatten("", map);
        if (tree.arrays.isEmpty()) {
            throw tree.error("", "not a Flax parameter tree: it holds no arrays");
        }
        return tree.arrays;
    }

    private MsgpackReader reader(long start, long end) {
        return new MsgpackReader(file, data, start, end);
    }

    private JdalleException error(String path, String what) {
        return MsgpackReader.error(file, path, what);
    }

    private void flatten(String prefix, MapValue map) {
        for (Map.Entry<String, Value> entry : map.entries().entrySet()) {
            String key = entry.getKey();
            String path = prefix.isEmpty() ? key : prefix + "/" + key;
            if (key.isEmpty() || key.contains("/")) {
                throw error(path, "key '" + key + "' cannot be part of a '/'-joined Flax path");
            }
            switch (entry.getValue()) {
                case MapValue child when child.entries().containsKey(CHUNK_MARKER) -> arrays.put(path, chunked(path, child));
                case MapValue child -> flatten(path, child);
                case ExtValue ext -> arrays.put(path, leaf(path, ext));
                case Value other -> throw error(path, "not a Flax parameter tree: expected a map or an array (ext type 1),"
                        + " found " + MsgpackReader.describe(other) + " at offset " + other.offset());
            }
        }
    }

    /** One array leaf: an ext whose payload is the msgpack array {@code [shape, dtype name, data]}. */
    private FlaxArray leaf(String path, ExtValue ext) {
        ParsedArray array = ndarray(path, ext);
        return new FlaxArray(path, array.dtype, array.shape, List.of(array.data));
    }

    /** An array split into 1-D chunks ({@code _chunk}): concatenated in key order they are the array. */
    private FlaxArray chunked(String path, MapValue chunkMap) {
        Map<String, Value> entries = chunkMap.entries();
        if (!(entries.get(CHUNK_MARKER) instanceof BoolValue(_, boolean marked)) || !marked) {
            throw error(path, "chunked array marker is not true");
        }
        List<Value> shapeValues = numbered(path, entries.get("shape"), "shape");
        long[] dims = new long[shapeValues.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!(shapeValues.get(i) instanceof IntValue(_, long dim))) {
                throw error(path, "chunked array shape entry " + i + " is " + MsgpackReader.describe(shapeValues.get(i)));
            }
            dims[i] = dim;
        }
        int[] shape = checkShape(path, dims);
        List<MemorySegment> pieces = new ArrayList<>();
        DType dtype = null;
        long elements = 0;
        List<Value> chunks = numbered(path, entries.get("chunks"), "chunks");
        for (int i = 0; i < chunks.size(); i++) {
            String chunkPath = path + " (chunk " + i + ")";
            if (!(chunks.get(i) instanceof ExtValue ext)) {
                throw error(chunkPath, "expected an array (ext type 1), found " + MsgpackReader.describe(chunks.get(i)));
            }
            ParsedArray chunk = ndarray(chunkPath, ext);
            if (chunk.shape.length != 1 || (dtype != null && chunk.dtype != dtype)) {
                throw error(chunkPath, "a chunk must be 1-D " + (dtype == null ? "" : dtype + " ") + "but is "
                        + Arrays.toString(chunk.shape) + " " + chunk.dtype);
            }
            dtype = chunk.dtype;
            elements += chunk.shape[0];
            pieces.add(chunk.data);
        }
        long expected = Tensor.elementCount(shape);
        if (dtype == null || elements != expected) {
            throw error(path, "chunks hold " + elements + " elements, shape " + Arrays.toString(shape) + " needs " + expected);
        }
        return new FlaxArray(path, dtype, shape, pieces);
    }

    /** The values of a map keyed "0", "1", … (how Flax stores tuples and lists), in numeric order. */
    private List<Value> numbered(String path, Value value, String name) {
        if (!(value instanceof MapValue map)) {
            throw error(path, "chunked array has no '" + name + "' map");
        }
        List<Value> values = new ArrayList<>();
        for (int i = 0; i < map.entries().size(); i++) {
            Value item = map.entries().get(Integer.toString(i));
            if (item == null) {
                throw error(path, "chunked array '" + name + "' has no entry \"" + i + "\"");
            }
            values.add(item);
        }
        return values;
    }

    private record ParsedArray(DType dtype, int[] shape, MemorySegment data) {
    }

    /** Decodes an ndarray ext payload and checks that its data length matches shape × dtype. */
    private ParsedArray ndarray(String path, ExtValue ext) {
        if (ext.type() == EXT_COMPLEX) {
            throw error(path, "holds a Python complex number (ext type 2), not an array");
        }
        if (ext.type() != EXT_NDARRAY && ext.type() != EXT_NUMPY_SCALAR) {
            throw error(path, "unknown ext type " + ext.type() + " at offset " + ext.offset()
                    + " (Flax writes 1 for arrays, 3 for numpy scalars)");
        }
        MsgpackReader payload = reader(ext.dataOffset(), ext.dataOffset() + ext.length());
        Value value = payload.read(path);
        if (payload.position() != ext.dataOffset() + ext.length()) {
            throw error(path, "array payload at offset " + ext.dataOffset() + " has "
                    + (ext.dataOffset() + ext.length() - payload.position()) + " stray bytes at its end");
        }
        if (!(value instanceof ListValue(_, List<Value> items)) || items.size() != 3
                || !(items.get(0) instanceof ListValue shapeList) || !(items.get(2) instanceof BinValue bin)) {
            throw error(path, "array payload at offset " + ext.dataOffset() + " is not [shape, dtype, data]");
        }
        String dtypeName = switch (items.get(1)) {
            case StrValue s -> s.text();
            case BinValue b -> new String(data.asSlice(b.dataOffset(), b.length()).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8);
            case Value other -> throw error(path, "array dtype is " + MsgpackReader.describe(other) + ", expected a str");
        };
        DType dtype = dtype(path, dtypeName);
        long[] dims = new long[shapeList.items().size()];
        for (int i = 0; i < dims.length; i++) {
            if (!(shapeList.items().get(i) instanceof IntValue(_, long dim))) {
                throw error(path, "array shape entry " + i + " is " + MsgpackReader.describe(shapeList.items().get(i)));
            }
            dims[i] = dim;
        }
        int[] shape = checkShape(path, dims);
        long needed = Math.multiplyExact(Tensor.elementCount(shape), (long) dtype.byteSize());
        if (bin.length() != needed) {
            throw error(path, "data holds " + bin.length() + " bytes, shape " + Arrays.toString(shape) + " " + dtypeName
                    + " needs " + needed);
        }
        return new ParsedArray(dtype, shape, data.asSlice(bin.dataOffset(), bin.length()));
    }

    /** The Flax dtype names jdalle stores; everything else is refused by name. */
    private DType dtype(String path, String name) {
        return switch (name) {
            case "float32" -> DType.F32;
            case "float16" -> DType.F16;
            case "bfloat16" -> DType.BF16;
            default -> throw error(path, "unsupported dtype '" + name + "' (jdalle reads float32, float16 and bfloat16)");
        };
    }

    /** Checks that every dimension is non-negative and fits an int, and that the byte size fits a long. */
    private int[] checkShape(String path, long[] dims) {
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw error(path, "dimension " + i + " of shape " + Arrays.toString(dims) + " is out of range");
            }
            shape[i] = (int) dims[i];
        }
        try {
            Math.multiplyExact(Tensor.elementCount(shape), 8L);
        } catch (ArithmeticException overflow) {
            throw error(path, "shape " + Arrays.toString(dims) + " has more elements than a file can hold");
        }
        return shape;
    }
}
