package io.github.jdalle.core.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads numpy {@code .npy} files (format 1.0/2.0, little-endian, C order) of float32, int32 or uint8. */
public record Npy(String dtype, int[] shape, ByteBuffer data) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static Npy read(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (bytes.length < 10 || bytes[0] != (byte) 0x93 || bytes[1] != 'N') {
                throw new IllegalArgumentException(file + " is not an .npy file");
            }
            int major = bytes[6];
            int headerLength = major == 1 ? Short.toUnsignedInt(buffer.getShort(8)) : buffer.getInt(8);
            int headerStart = major == 1 ? 10 : 12;
            String header = new String(bytes, headerStart, headerLength, StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header);
            Matcher o = ORDER.matcher(header);
            Matcher s = SHAPE.matcher(header);
            if (!d.find() || !o.find() || !s.find() || o.group(1).equals("True")) {
                throw new IllegalArgumentException(file + ": unsupported header " + header);
            }
            int[] shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(x -> !x.isEmpty())
                    .mapToInt(Integer::parseInt).toArray();
            ByteBuffer data = ByteBuffer.wrap(bytes, headerStart + headerLength, bytes.length - headerStart - headerLength)
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            return new Npy(d.group(1), shape, data);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file, e);
        }
    }

    public long count() {
        long n = 1;
        for (int dim : shape) {
            n *= dim;
        }
        return n;
    }

    public float[] floats() {
        if (!dtype.equals("<f4")) {
            throw new IllegalStateException("not float32: " + dtype);
        }
        float[] out = new float[(int) count()];
        data.asFloatBuffer().get(out);
        return out;
    }

    public int[] ints() {
        int[] out = new int[(int) count()];
        switch (dtype) {
            case "<i4" -> data.asIntBuffer().get(out);
            case "<i8" -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Math.toIntExact(data.getLong(i * 8));
                }
            }
            case "|u1" -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Byte.toUnsignedInt(data.get(i));
                }
            }
            default -> throw new IllegalStateException("not an integer array: " + dtype);
        }
        return out;
    }

    /** uint8 arrays as bytes. */
    public byte[] bytes() {
        if (!dtype.equals("|u1")) {
            throw new IllegalStateException("not uint8: " + dtype);
        }
        byte[] out = new byte[(int) count()];
        data.duplicate().get(out);
        return out;
    }
}
