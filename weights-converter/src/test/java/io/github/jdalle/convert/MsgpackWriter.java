package io.github.jdalle.convert;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small msgpack writer for generating Flax checkpoints in tests, writing what {@code flax.serialization.to_bytes}
 * writes (flax-msgpack spec §2–§6): str-keyed maps, ndarray leaves as ext type 1 in the smallest container
 * (fixext16 for a 0-d float32), chunk maps. Array data can be streamed, so checkpoints of hundreds of megabytes
 * are generated without holding them in memory. Independent of the reader on purpose: it only encodes.
 */
final class MsgpackWriter {
    /** Writes a test array's little-endian element bytes to a stream. */
    @FunctionalInterface
    interface DataWriter {
        void write(OutputStream out) throws IOException;
    }

    /** An array leaf to write: numpy dtype name, shape and {@code byteLength} bytes produced by {@code data}. */
    record TestArray(String dtype, long[] shape, long byteLength, DataWriter data) {
        /** A float32 array holding {@code values}. */
        static TestArray f32(float[] values, long... shape) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            return raw("float32", bytes.array(), shape);
        }

        /** An array of any dtype name over the given raw bytes (which need not fit the shape, for bad input). */
        static TestArray raw(String dtype, byte[] bytes, long... shape) {
            return new TestArray(dtype, shape, bytes.length, out -> out.write(bytes));
        }

        /** A float32 array of {@code count} pseudo-random normal values, generated while writing. */
        static TestArray randomF32(long seed, long... shape) {
            long count = 1;
            for (long dim : shape) {
                count *= dim;
            }
            long elements = count;
            return new TestArray("float32", shape, elements * 4, out -> {
                SplittableRandom random = new SplittableRandom(seed);
                ByteBuffer block = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < elements; i++) {
                    if (!block.hasRemaining()) {
                        out.write(block.array(), 0, block.position());
                        block.clear();
                    }
                    block.putFloat((float) (random.nextDouble() * 2 - 1));
                }
                out.write(block.array(), 0, block.position());
            });
        }
    }

    /** A leaf written as a chunk map of at most {@code chunkBytes} bytes per chunk (see {@link #chunked}). */
    record ChunkedArray(String dtype, int itemSize, byte[] data, int chunkBytes, long... shape) {
    }

    /** A leaf written as ext type 3, the way Flax stores a numpy scalar such as {@code np.float32(2.5)}. */
    record NumpyScalar(TestArray array) {
    }

    private final DataOutputStream out;

    MsgpackWriter(OutputStream out) {
        this.out = new DataOutputStream(out);
    }

    /**
     * Writes {@code tree} (nested {@code Map<String, Object>} whose leaves are {@link TestArray}s) to {@code file}
     * in the map iteration order.
     */
    static void writeTree(Path file, Map<String, ?> tree) {
        try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            new MsgpackWriter(stream).tree(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes of {@code tree} (see {@link #writeTree}). */
    static byte[] treeBytes(Map<String, ?> tree) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            new MsgpackWriter(bytes).tree(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A nested tree of maps with {@link TestArray} leaves. */
    MsgpackWriter tree(Map<String, ?> tree) throws IOException {
        map(tree.size());
        for (Map.Entry<String, ?> entry : tree.entrySet()) {
            str(entry.getKey());
            switch (entry.getValue()) {
                case Map<?, ?> child -> {
                    @SuppressWarnings("unchecked")
                    Map<String, ?> typed = (Map<String, ?>) child;
                    tree(typed);
                }
                case TestArray array -> ndarray(array, 1);
                case NumpyScalar scalar -> ndarray(scalar.array(), 3);
                case ChunkedArray c -> chunked(c.dtype(), c.itemSize(), c.data(), c.chunkBytes(), c.shape());
                default -> throw new IllegalArgumentException("not a tree node: " + entry.getValue());
            }
        }
        out.flush();
        return this;
    }

    MsgpackWriter map(long entries) throws IOException {
        return header(entries, 0x80, 15, 0xde, 0xdf);
    }

    MsgpackWriter array(long items) throws IOException {
        return header(items, 0x90, 15, 0xdc, 0xdd);
    }

    MsgpackWriter str(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= 31) {
            out.writeByte(0xa0 | bytes.length);
        } else if (bytes.length <= 0xff) {
            out.writeByte(0xd9);
            out.writeByte(bytes.length);
        } else {
            out.writeByte(0xda);
            out.writeShort(bytes.length);
        }
        out.write(bytes);
        return this;
    }

    /** A non-negative int in the smallest encoding. */
    MsgpackWriter uint(long value) throws IOException {
        if (value <= 0x7f) {
            out.writeByte((int) value);
        } else if (value <= 0xff) {
            out.writeByte(0xcc);
            out.writeByte((int) value);
        } else if (value <= 0xffff) {
            out.writeByte(0xcd);
            out.writeShort((int) value);
        } else if (value <= 0xffffffffL) {
            out.writeByte(0xce);
            out.writeInt((int) value);
        } else {
            out.writeByte(0xcf);
            out.writeLong(value);
        }
        return this;
    }

    MsgpackWriter bool(boolean value) throws IOException {
        out.writeByte(value ? 0xc3 : 0xc2);
        return this;
    }

    /** Raw bytes, for crafting broken files. */
    MsgpackWriter raw(int... bytes) throws IOException {
        for (int b : bytes) {
            out.writeByte(b);
        }
        return this;
    }

    /** Raw bytes, for crafting broken files. */
    MsgpackWriter raw(byte[] bytes) throws IOException {
        out.write(bytes);
        return this;
    }

    /** An ndarray leaf as ext {@code extType} (1 for arrays, 3 for numpy scalars), in the smallest ext container. */
    MsgpackWriter ndarray(TestArray array, int extType) throws IOException {
        ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
        MsgpackWriter header = new MsgpackWriter(headerBytes);
        header.array(3).array(array.shape.length);
        for (long dim : array.shape) {
            header.uint(dim);
        }
        header.str(array.dtype).binHeader(array.byteLength);
        header.out.flush();
        long payload = headerBytes.size() + array.byteLength;
        switch ((int) Math.min(payload, 17)) {
            case 1 -> out.writeByte(0xd4);
            case 2 -> out.writeByte(0xd5);
            case 4 -> out.writeByte(0xd6);
            case 8 -> out.writeByte(0xd7);
            case 16 -> out.writeByte(0xd8);
            default -> {
                if (payload <= 0xff) {
                    out.writeByte(0xc7);
                    out.writeByte((int) payload);
                } else if (payload <= 0xffff) {
                    out.writeByte(0xc8);
                    out.writeShort((int) payload);
                } else {
                    out.writeByte(0xc9);
                    out.writeInt((int) payload);
                }
            }
        }
        out.writeByte(extType);
        headerBytes.writeTo(out);
        array.data.write(out);
        return this;
    }

    /**
     * A chunked array (flax {@code _chunk}): the marker, the shape as {"0": d0, …} and 1-D chunks of at most
     * {@code chunkBytes} bytes of {@code data}.
     */
    MsgpackWriter chunked(String dtype, int itemSize, byte[] data, int chunkBytes, long... shape) throws IOException {
        map(3).str(FlaxTree.CHUNK_MARKER).bool(true);
        str("shape").map(shape.length);
        for (int i = 0; i < shape.length; i++) {
            str(Integer.toString(i)).uint(shape[i]);
        }
        int chunkCount = (data.length + chunkBytes - 1) / chunkBytes;
        str("chunks").map(chunkCount);
        for (int i = 0; i < chunkCount; i++) {
            int from = i * chunkBytes;
            byte[] chunk = Arrays.copyOfRange(data, from, Math.min(data.length, from + chunkBytes));
            str(Integer.toString(i)).ndarray(TestArray.raw(dtype, chunk, chunk.length / itemSize), 1);
        }
        return this;
    }

    private MsgpackWriter binHeader(long length) throws IOException {
        if (length <= 0xff) {
            out.writeByte(0xc4);
            out.writeByte((int) length);
        } else if (length <= 0xffff) {
            out.writeByte(0xc5);
            out.writeShort((int) length);
        } else {
            out.writeByte(0xc6);
            out.writeInt((int) length);
        }
        return this;
    }

    private MsgpackWriter header(long count, int fixBase, int fixMax, int marker16, int marker32) throws IOException {
        if (count <= fixMax) {
            out.writeByte(fixBase | (int) count);
        } else if (count <= 0xffff) {
            out.writeByte(marker16);
            out.writeShort((int) count);
        } else {
            out.writeByte(marker32);
            out.writeInt((int) count);
        }
        return this;
    }

    void flush() throws IOException {
        out.flush();
    }
}
