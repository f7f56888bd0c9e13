package io.github.jdalle.convert;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An independent, deliberately plain decoder of un-chunked Flax msgpack files for cross-checking the reader:
 * it copies the whole file onto the heap and decodes it with a {@link DataInputStream}, sharing no code with
 * {@link MsgpackReader}. Small files only.
 */
final class ReferenceDecoder {
    /** One decoded leaf: shape, numpy dtype name and the raw data bytes. */
    record Leaf(List<Long> shape, String dtype, byte[] data) {
    }

    private final DataInputStream in;

    private ReferenceDecoder(byte[] bytes) {
        this.in = new DataInputStream(new ByteArrayInputStream(bytes));
    }

    /** Every leaf of the file by "/"-joined path. */
    static Map<String, Leaf> decode(Path file) throws IOException {
        Map<String, Leaf> leaves = new TreeMap<>();
        new ReferenceDecoder(Files.readAllBytes(file)).tree("", leaves);
        return leaves;
    }

    private void tree(String prefix, Map<String, Leaf> leaves) throws IOException {
        int marker = in.readUnsignedByte();
        long entries = switch (marker) {
            case 0xde -> in.readUnsignedShort();
            case 0xdf -> in.readInt() & 0xffffffffL;
            default -> {
                if ((marker & 0xf0) != 0x80) {
                    throw new IOException("expected a map, got 0x" + Integer.toHexString(marker));
                }
                yield marker & 0x0f;
            }
        };
        for (long i = 0; i < entries; i++) {
            String key = new String(bytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
            String path = prefix.isEmpty() ? key : prefix + "/" + key;
            in.mark(1);
            int next = in.readUnsignedByte();
            in.reset();
            if ((next & 0xf0) == 0x80 || next == 0xde || next == 0xdf) {
                tree(path, leaves);
            } else {
                leaves.put(path, ext());
            }
        }
    }

    private Leaf ext() throws IOException {
        int marker = in.readUnsignedByte();
        switch (marker) {
            case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8 -> { }
            case 0xc7 -> in.readUnsignedByte();
            case 0xc8 -> in.readUnsignedShort();
            case 0xc9 -> in.readInt();
            default -> throw new IOException("expected an ext, got 0x" + Integer.toHexString(marker));
        }
        in.readByte(); // ext type
        if (in.readUnsignedByte() != 0x93) {
            throw new IOException("payload is not a 3-array");
        }
        int rank = in.readUnsignedByte() & 0x0f;
        List<Long> shape = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            int b = in.readUnsignedByte();
            shape.add(switch (b) {
                case 0xcc -> (long) in.readUnsignedByte();
                case 0xcd -> (long) in.readUnsignedShort();
                case 0xce -> in.readInt() & 0xffffffffL;
                default -> (long) b;
            });
        }
        String dtype = new String(bytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
        int binMarker = in.readUnsignedByte();
        long length = switch (binMarker) {
            case 0xc4 -> in.readUnsignedByte();
            case 0xc5 -> in.readUnsignedShort();
            default -> in.readInt() & 0xffffffffL;
        };
        byte[] data = new byte[Math.toIntExact(length)];
        in.readFully(data);
        return new Leaf(shape, dtype, data);
    }

    /** The payload of a str whose type byte is {@code marker}. */
    private byte[] bytes(int marker) throws IOException {
        int length = switch (marker) {
            case 0xd9 -> in.readUnsignedByte();
            case 0xda -> in.readUnsignedShort();
            default -> marker & 0x1f;
        };
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
