package io.github.jdalle.bench.weights;

import io.github.jdalle.convert.ConversionReport;
import io.github.jdalle.convert.Converter;
import io.github.jdalle.convert.ProgressListener;
import io.github.jdalle.convert.TargetDType;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Conversion throughput against a plain file copy on the same disk: generates a VQGAN-shaped Flax checkpoint of
 * about 490 MB (seven 4096×4096 float32 kernels and a 16384×256 codebook), then times {@code Files.copy} (plus
 * fsync, since the converter syncs too) and {@link Converter} with {@code --dtype keep}, {@code f16} and
 * {@code bf16}, best of two runs each. The checkpoint was just written, so both read from the page cache: the
 * numbers compare the writing and converting work, not the disk's read speed.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar:… io.github.jdalle.bench.weights.ConversionThroughput [folder]}
 * (default: the system temporary folder). Everything it writes is deleted at the end.
 */
public final class ConversionThroughput {
    private static final int KERNELS = 7;
    private static final int KERNEL_SIDE = 4096;
    private static final int RUNS = 2;

    private ConversionThroughput() {
    }

    /** Runs the measurement; {@code args[0]}, if given, is the folder for the temporary files. */
    public static void main(String[] args) throws IOException {
        Path parent = args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir"));
        Path work = Files.createTempDirectory(parent, "jdalle-conversion-bench");
        try {
            Path model = Files.createDirectories(work.resolve("model"));
            Path checkpoint = model.resolve("flax_model.msgpack");
            writeCheckpoint(checkpoint);
            Files.writeString(model.resolve("config.json"), "{}");
            long bytes = Files.size(checkpoint);
            System.out.printf("checkpoint: %,d bytes in %s%n", bytes, work);

            double copySeconds = Double.MAX_VALUE;
            for (int run = 0; run < RUNS; run++) {
                long start = System.nanoTime();
                Path copy = work.resolve("copy.msgpack");
                Files.copy(checkpoint, copy, StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                copySeconds = Math.min(copySeconds, (System.nanoTime() - start) / 1e9);
            }
            System.out.printf("%-22s %7.0f MB/s%n", "Files.copy + fsync", bytes / 1e6 / copySeconds);
            for (TargetDType dtype : new TargetDType[] {TargetDType.KEEP, TargetDType.F16, TargetDType.BF16}) {
                double best = 0;
                for (int run = 0; run < RUNS; run++) {
                    ConversionReport report = Converter.convert(model, null, work.resolve("model.jdw"), dtype,
                            ProgressListener.NONE);
                    best = Math.max(best, report.megabytesPerSecond());
                }
                System.out.printf("%-22s %7.0f MB/s (of source data)%n", "convert --dtype " + dtype.name().toLowerCase(), best);
            }
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    /** A Flax msgpack tree {decoder: {block_i: {kernel}}, encoder: {conv_in: {bias}}, quantize: {embedding: {embedding}}}. */
    private static void writeCheckpoint(Path file) throws IOException {
        SplittableRandom random = new SplittableRandom(1);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            out.writeByte(0x83); // fixmap, 3 entries
            str(out, "decoder");
            out.writeByte(0x80 | KERNELS);
            for (int i = 0; i < KERNELS; i++) {
                str(out, "block_" + i);
                out.writeByte(0x81);
                str(out, "kernel");
                array(out, random, KERNEL_SIDE, KERNEL_SIDE);
            }
            str(out, "encoder");
            out.writeByte(0x81);
            str(out, "conv_in");
            out.writeByte(0x81);
            str(out, "bias");
            array(out, random, 128, 1);
            str(out, "quantize");
            out.writeByte(0x81);
            str(out, "embedding");
            out.writeByte(0x81);
            str(out, "embedding");
            array(out, random, 16384, 256);
        }
    }

    private static void str(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeByte(0xa0 | bytes.length); // fixstr: every key here is shorter than 32 bytes
        out.write(bytes);
    }

    /** A float32 (rows, columns) array of uniform random values as ext32 type 1 [shape, "float32", bin32]. */
    private static void array(DataOutputStream out, SplittableRandom random, int rows, int columns) throws IOException {
        long dataBytes = 4L * rows * columns;
        int header = 1 + 1 + 3 + 3 + 8 + 5; // fixarray 3, fixarray 2, two uint16 dims, fixstr "float32", bin32 header
        out.writeByte(0xc9);
        out.writeInt((int) (header + dataBytes));
        out.writeByte(1);
        out.writeByte(0x93);
        out.writeByte(0x92);
        out.writeByte(0xcd);
        out.writeShort(rows);
        out.writeByte(0xcd);
        out.writeShort(columns);
        str(out, "float32");
        out.writeByte(0xc6);
        out.writeInt((int) dataBytes);
        ByteBuffer block = ByteBuffer.allocate(4 * columns).order(ByteOrder.LITTLE_ENDIAN);
        for (int row = 0; row < rows; row++) {
            block.clear();
            for (int column = 0; column < columns; column++) {
                block.putFloat((float) (random.nextDouble() * 2 - 1));
            }
            out.write(block.array());
        }
    }
}
