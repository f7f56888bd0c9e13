package io.github.jdalle.convert;

import io.github.jdalle.core.JdalleException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A zero-copy reader of the msgpack subset that Flax checkpoints use, over a byte range of a mapped file.
 * Maps (with str keys), arrays, strings, integers and scalars are decoded into small {@link Value} nodes;
 * bin and ext payloads are only recorded as (offset, length), so a 10 GB checkpoint costs a few kilobytes
 * of heap. All multi-byte numbers are big-endian (msgpack spec). Every read is checked against the end of
 * the range, so a truncated or corrupt file gives a {@link JdalleException} naming the file, the Flax path
 * being read and the byte offset.
 */
final class MsgpackReader {
    /** Deepest nesting accepted; Flax trees are about ten levels deep, a corrupt file must not blow the stack. */
    private static final int MAX_DEPTH = 64;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** A decoded msgpack value; {@code offset} is the file offset of its first byte. */
    sealed interface Value {
        long offset();
    }

    /** A map whose keys are all str, in file order. */
    record MapValue(long offset, LinkedHashMap<String, Value> entries) implements Value {
    }

    /** A msgpack array. */
    record ListValue(long offset, List<Value> items) implements Value {
    }

    /** An integer; uint64 values above {@link Long#MAX_VALUE} are rejected when read. */
    record IntValue(long offset, long value) implements Value {
    }

    /** A str. */
    record StrValue(long offset, String text) implements Value {
    }

    /** A boolean. */
    record BoolValue(long offset, boolean value) implements Value {
    }

    /** A bin payload, not copied: {@code length} bytes at file offset {@code dataOffset}. */
    record BinValue(long offset, long dataOffset, long length) implements Value {
    }

    /** An ext value, not copied: ext {@code type} with {@code length} payload bytes at {@code dataOffset}. */
    record ExtValue(long offset, int type, long dataOffset, long length) implements Value {
    }

    /** nil, float32 or float64: never meaningful in a parameter tree, kept only to name it in errors. */
    record OtherValue(long offset, String kind) implements Value {
    }

    private final String file;
    private final MemorySegment data;
    private final long end;
    private long position;

    /** A reader of {@code data[start, end)}; {@code file} names the source in error messages. */
    MsgpackReader(String file, MemorySegment data, long start, long end) {
        this.file = file;
        this.data = data;
        this.position = start;
        this.end = end;
    }

    /** The offset of the next unread byte. */
    long position() {
        return position;
    }

    /** Reads one complete value (recursively); {@code path} is the Flax path being read, for messages. */
    Value read(String path) {
        return read(path, 0);
    }

    private Value read(String path, int depth) {
        if (depth > MAX_DEPTH) {
            throw error(path, "nested deeper than " + MAX_DEPTH + " levels at offset " + position);
        }
        long start = position;
        int marker = u8(path, "a type byte");
        if (marker <= 0x7f) {
            return new IntValue(start, marker);
        } else if (marker >= 0xe0) {
            return new IntValue(start, (byte) marker);
        } else if (marker <= 0x8f) {
            return readMap(path, start, marker & 0x0f, depth);
        } else if (marker <= 0x9f) {
            return readList(path, start, marker & 0x0f, depth);
        } else if (marker <= 0xbf) {
            return readStr(path, start, marker & 0x1f);
        }
        return switch (marker) {
            case 0xc0 -> new OtherValue(start, "nil");
            case 0xc2 -> new BoolValue(start, false);
            case 0xc3 -> new BoolValue(start, true);
            case 0xc4 -> readBin(path, start, u8(path, "a bin8 length"));
            case 0xc5 -> readBin(path, start, u16(path, "a bin16 length"));
            case 0xc6 -> readBin(path, start, u32(path, "a bin32 length"));
            case 0xc7 -> readExt(path, start, u8(path, "an ext8 length"));
            case 0xc8 -> readExt(path, start, u16(path, "an ext16 length"));
            case 0xc9 -> readExt(path, start, u32(path, "an ext32 length"));
            case 0xca -> skip(path, start, 4, "float32");
            case 0xcb -> skip(path, start, 8, "float64");
            case 0xcc -> new IntValue(start, u8(path, "a uint8"));
            case 0xcd -> new IntValue(start, u16(path, "a uint16"));
            case 0xce -> new IntValue(start, u32(path, "a uint32"));
            case 0xcf -> new IntValue(start, uint64(path));
            case 0xd0 -> new IntValue(start, (byte) u8(path, "an int8"));
            case 0xd1 -> new IntValue(start, (short) u16(path, "an int16"));
            case 0xd2 -> new IntValue(start, (int) u32(path, "an int32"));
            case 0xd3 -> new IntValue(start, int64(path));
            case 0xd4 -> readExt(path, start, 1);
            case 0xd5 -> readExt(path, start, 2);
            case 0xd6 -> readExt(path, start, 4);
            case 0xd7 -> readExt(path, start, 8);
            case 0xd8 -> readExt(path, start, 16);
            case 0xd9 -> readStr(path, start, u8(path, "a str8 length"));
            case 0xda -> readStr(path, start, u16(path, "a str16 length"));
            case 0xdb -> readStr(path, start, u32(path, "a str32 length"));
            case 0xdc -> readList(path, start, u16(path, "an array16 count"), depth);
            case 0xdd -> readList(path, start, u32(path, "an array32 count"), depth);
            case 0xde -> readMap(path, start, u16(path, "a map16 count"), depth);
            case 0xdf -> readMap(path, start, u32(path, "a map32 count"), depth);
            default -> throw error(path, String.format("invalid msgpack type byte 0x%02x at offset %d", marker, start));
        };
    }

    private MapValue readMap(String path, long start, long count, int depth) {
        // Each entry takes at least two bytes: a corrupt count fails here instead of looping for ages.
        require(path, Math.multiplyExact(count, 2L), "a map of " + count + " entries", start);
        LinkedHashMap<String, Value> entries = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            Value key = read(path, depth + 1);
            if (!(key instanceof StrValue(long keyOffset, String name))) {
                throw error(path, "not a Flax parameter tree: map key at offset " + key.offset() + " is "
                        + describe(key) + ", expected a str");
            }
            String childPath = path.isEmpty() ? name : path + "/" + name;
            if (entries.put(name, read(childPath, depth + 1)) != null) {
                throw error(childPath, "duplicate map key at offset " + keyOffset);
            }
        }
        return new MapValue(start, entries);
    }

    private ListValue readList(String path, long start, long count, int depth) {
        require(path, count, "an array of " + count + " items", start);
        List<Value> items = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            items.add(read(path, depth + 1));
        }
        return new ListValue(start, items);
    }

    private StrValue readStr(String path, long start, long length) {
        require(path, length, "a str of " + length + " bytes", start);
        byte[] bytes = data.asSlice(position, length).toArray(ValueLayout.JAVA_BYTE);
        position += length;
        return new StrValue(start, new String(bytes, StandardCharsets.UTF_8));
    }

    private BinValue readBin(String path, long start, long length) {
        require(path, length, "a bin of " + length + " bytes", start);
        BinValue bin = new BinValue(start, position, length);
        position += length;
        return bin;
    }

    private ExtValue readExt(String path, long start, long length) {
        int type = (byte) u8(path, "an ext type");
        require(path, length, "an ext of " + length + " bytes", start);
        ExtValue ext = new ExtValue(start, type, position, length);
        position += length;
        return ext;
    }

    private OtherValue skip(String path, long start, int length, String kind) {
        require(path, length, "a " + kind, start);
        position += length;
        return new OtherValue(start, kind);
    }

    private int u8(String path, String what) {
        require(path, 1, what, position);
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, position++));
    }

    private int u16(String path, String what) {
        require(path, 2, what, position);
        int value = Short.toUnsignedInt(data.get(U16, position));
        position += 2;
        return value;
    }

    private long u32(String path, String what) {
        require(path, 4, what, position);
        long value = Integer.toUnsignedLong(data.get(U32, position));
        position += 4;
        return value;
    }

    private long int64(String path) {
        require(path, 8, "an int64", position);
        long value = data.get(U64, position);
        position += 8;
        return value;
    }

    private long uint64(String path) {
        long start = position;
        long value = int64(path);
        if (value < 0) {
            throw error(path, "uint64 at offset " + start + " is larger than " + Long.MAX_VALUE);
        }
        return value;
    }

    /** Fails unless {@code bytes} more bytes are available at the current position. */
    private void require(String path, long bytes, String what, long valueOffset) {
        if (bytes > end - position) {
            throw error(path, "truncated: " + what + " at offset " + valueOffset + " needs " + bytes
                    + " more bytes, only " + (end - position) + " left");
        }
    }

    /** A message naming the file and, when known, the Flax path: {@code file: path: what}. */
    JdalleException error(String path, String what) {
        return error(file, path, what);
    }

    /** An error about {@code path} (empty for the whole file) of {@code file}: {@code file: path: what}. */
    static JdalleException error(String file, String path, String what) {
        return new JdalleException(file + ": " + (path.isEmpty() ? "" : path + ": ") + what);
    }

    /** A short description of a value's type for error messages ("a str", "ext type 2", ...). */
    static String describe(Value value) {
        return switch (value) {
            case MapValue _ -> "a map";
            case ListValue _ -> "an array";
            case IntValue _ -> "an int";
            case StrValue _ -> "a str";
            case BoolValue _ -> "a bool";
            case BinValue _ -> "a bin";
            case ExtValue e -> "ext type " + e.type();
            case OtherValue o -> "a " + o.kind();
        };
    }
}
