package io.github.jdalle.convert;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Flax checkpoint ({@code flax_model.msgpack}, as written by {@code flax.serialization.to_bytes}) read as a
 * {@link WeightSource}, straight from a memory map.
 *
 * <p>The whole file is mapped once ({@code FileChannel.map} into a shared {@link Arena}, so files above 2 GiB
 * work) and the msgpack tree is walked once on open; only its structure lands on the heap. Each array leaf is
 * then a zero-copy {@link Tensor} view of the mapping, under its "/"-joined Flax path. Two kinds of leaf are
 * not contiguous in the file and are copied, once and off-heap, when {@link #tensor} is first asked for them:
 * chunked arrays over 1 GiB (flax-msgpack spec §6, none in the released checkpoints) and the per-layer arrays
 * of an <em>unscanned</em> DalleBart file ({@code FlaxBartEncoderLayer_{i}}), which are presented in the
 * scanned layout with a leading layer axis ({@code FlaxBartEncoderLayers}, dallebart spec §2.4). The
 * converter never needs those copies: it streams {@link FlaxArray#pieces()} instead.
 *
 * <p>Thread-safe; {@link #close()} unmaps the file and frees the copies, invalidating every tensor.
 */
public final class FlaxMsgpack implements WeightSource {
    /** The checkpoint's file name in a hub model folder. */
    public static final String CHECKPOINT_FILE = "flax_model.msgpack";
    /** The model configuration's file name in a hub model folder. */
    public static final String CONFIG_FILE = "config.json";
    /** Files beside the checkpoint that become named assets: tokenizer files and the hashtag word list. */
    public static final List<String> ASSET_FILES =
            List.of("vocab.json", "merges.txt", "special_tokens_map.json", "enwiki-words-frequency.txt");

    private final Path file;
    private final Arena arena;
    private final SortedMap<String, FlaxArray> arrays;
    private final String config;
    private final Map<String, Path> assets;
    private final Map<String, Tensor> copies = new ConcurrentHashMap<>();

    private FlaxMsgpack(Path file, Arena arena, SortedMap<String, FlaxArray> arrays, String config,
            Map<String, Path> assets) {
        this.file = file;
        this.arena = arena;
        this.arrays = arrays;
        this.config = config;
        this.assets = assets;
    }

    /**
     * Opens a model folder as downloaded from the hub ({@value #CHECKPOINT_FILE}, plus {@value #CONFIG_FILE}
     * and the {@link #ASSET_FILES} where present), or a single msgpack file (then without config or assets).
     */
    public static FlaxMsgpack open(Path folderOrFile) {
        return open(folderOrFile, null);
    }

    /**
     * Like {@link #open(Path)}, with the model configuration read from {@code configFile} instead; null means
     * the folder's {@value #CONFIG_FILE} (none for a single file).
     */
    public static FlaxMsgpack open(Path folderOrFile, Path configFile) {
        if (!Files.isDirectory(folderOrFile)) {
            return open(folderOrFile, configFile, Map.of());
        }
        Path folderConfig = folderOrFile.resolve(CONFIG_FILE);
        Map<String, Path> assets = new LinkedHashMap<>();
        for (String name : ASSET_FILES) {
            Path asset = folderOrFile.resolve(name);
            if (Files.isRegularFile(asset)) {
                assets.put(name, asset);
            }
        }
        Path config = configFile != null ? configFile : Files.isRegularFile(folderConfig) ? folderConfig : null;
        return open(folderOrFile.resolve(CHECKPOINT_FILE), config, assets);
    }

    private static FlaxMsgpack open(Path file, Path configFile, Map<String, Path> assets) {
        if (!Files.isRegularFile(file)) {
            throw new JdalleException(file + ": no such checkpoint file");
        }
        String config = null;
        try {
            if (configFile != null) {
                config = Files.readString(configFile);
            }
        } catch (IOException e) {
            throw new JdalleException(configFile + ": cannot read: " + e.getMessage(), e);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            SortedMap<String, FlaxArray> arrays = UnscannedLayers.restack(file.toString(), FlaxTree.read(file.toString(), data));
            return new FlaxMsgpack(file, arena, arrays, config, Map.copyOf(assets));
        } catch (IOException e) {
            arena.close();
            throw new JdalleException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The checkpoint file. */
    public Path file() {
        return file;
    }

    @Override
    public String description() {
        return file.toString();
    }

    /** Every array leaf, sorted by path. */
    public Collection<FlaxArray> arrays() {
        return arrays.values();
    }

    /** The array leaf at {@code path}; throws naming the path and the file when absent. */
    public FlaxArray array(String path) {
        FlaxArray array = arrays.get(path);
        if (array == null) {
            throw new JdalleException(file + ": " + path + ": no such tensor in the checkpoint");
        }
        return array;
    }

    /**
     * The tensor at {@code path}: a view of the mapped file, or for a chunked or restacked array a copy made
     * on first use in this source's off-heap arena.
     */
    @Override
    public Tensor tensor(String path) {
        FlaxArray array = array(path);
        if (array.contiguous()) {
            return Tensor.of(array.dtype(), array.pieces().getFirst(), array.shape());
        }
        return copies.computeIfAbsent(path, p -> {
            MemorySegment joined = arena.allocate(Math.max(array.byteSize(), 1), 64).asSlice(0, array.byteSize());
            long offset = 0;
            for (MemorySegment piece : array.pieces()) {
                MemorySegment.copy(piece, 0, joined, offset, piece.byteSize());
                offset += piece.byteSize();
            }
            return Tensor.of(array.dtype(), joined, array.shape());
        });
    }

    @Override
    public boolean contains(String path) {
        return arrays.containsKey(path);
    }

    @Override
    public List<String> paths() {
        return new ArrayList<>(arrays.keySet());
    }

    @Override
    public Optional<String> config() {
        return Optional.ofNullable(config);
    }

    /** The names of the assets found beside the checkpoint, in {@link #ASSET_FILES} order. */
    public List<String> assetNames() {
        return ASSET_FILES.stream().filter(assets::containsKey).toList();
    }

    @Override
    public Optional<byte[]> asset(String name) {
        Path asset = assets.get(name);
        if (asset == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readAllBytes(asset));
        } catch (IOException e) {
            throw new JdalleException(asset + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Unmaps the file and frees the copies; closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
