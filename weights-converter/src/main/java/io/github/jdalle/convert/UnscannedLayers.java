package io.github.jdalle.convert;

import io.github.jdalle.core.JdalleException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Presents an unscanned DalleBart tree in the scanned layout (dallebart spec §2.4). {@code DalleBart.unscan()}
 * stores layer {@code i} as {@code …/layers/FlaxBartEncoderLayer_{i}/…} with no layer axis; the released files
 * store {@code …/layers/FlaxBartEncoderLayers/…} with a leading layer axis. Stacking row-major arrays along a
 * new first axis is the concatenation of their bytes, so a restacked array is simply the per-layer pieces in
 * layer order: nothing is copied here (only {@link FlaxMsgpack#tensor} must copy them into one block).
 */
final class UnscannedLayers {
    private static final Pattern LAYER = Pattern.compile("(.*/)?FlaxBart(Encoder|Decoder)Layer_(\\d+)/(.+)");

    private UnscannedLayers() {
    }

    /** {@code arrays} with every per-layer leaf replaced by its stack; unchanged when there is none. */
    static SortedMap<String, FlaxArray> restack(String file, SortedMap<String, FlaxArray> arrays) {
        // scanned path → (layer index → that layer's array)
        Map<String, SortedMap<Integer, FlaxArray>> stacks = new TreeMap<>();
        SortedMap<String, FlaxArray> result = new TreeMap<>();
        for (FlaxArray array : arrays.values()) {
            Matcher m = LAYER.matcher(array.path());
            if (!m.matches()) {
                result.put(array.path(), array);
                continue;
            }
            String prefix = m.group(1) == null ? "" : m.group(1);
            String scannedPath = prefix + "FlaxBart" + m.group(2) + "Layers/" + m.group(4);
            stacks.computeIfAbsent(scannedPath, k -> new TreeMap<>()).put(Integer.parseInt(m.group(3)), array);
        }
        for (Map.Entry<String, SortedMap<Integer, FlaxArray>> stack : stacks.entrySet()) {
            String path = stack.getKey();
            if (result.containsKey(path)) {
                throw error(file, path, "present both scanned and as per-layer arrays");
            }
            result.put(path, stack(file, path, stack.getValue()));
        }
        return result;
    }

    private static FlaxArray stack(String file, String path, SortedMap<Integer, FlaxArray> layers) {
        FlaxArray first = layers.get(layers.firstKey());
        List<MemorySegment> pieces = new ArrayList<>();
        int expectedIndex = 0;
        for (Map.Entry<Integer, FlaxArray> layer : layers.entrySet()) {
            FlaxArray array = layer.getValue();
            if (layer.getKey() != expectedIndex++) {
                throw error(file, array.path(), "layer " + (expectedIndex - 1) + " is missing from the unscanned stack");
            }
            if (array.dtype() != first.dtype() || !Arrays.equals(array.shape(), first.shape())) {
                throw error(file, array.path(), "is " + Arrays.toString(array.shape()) + " " + array.dtype() + " but "
                        + first.path() + " is " + Arrays.toString(first.shape()) + " " + first.dtype());
            }
            pieces.addAll(array.pieces());
        }
        int[] layerShape = first.shape();
        int[] shape = new int[layerShape.length + 1];
        shape[0] = layers.size();
        System.arraycopy(layerShape, 0, shape, 1, layerShape.length);
        return new FlaxArray(path, first.dtype(), shape, pieces);
    }

    private static JdalleException error(String file, String path, String what) {
        return MsgpackReader.error(file, path, what);
    }
}
