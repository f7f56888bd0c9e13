package io.github.jdalle.core.weights;

import io.github.jdalle.core.DType;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code jdalle info} prints about a weight file.
 *
 * @param file           the weight file
 * @param fileSize       its size in bytes
 * @param formatVersion  the layout version
 * @param kind           the model the weights are for
 * @param config         the original {@code config.json} text, or null
 * @param tensorCount    the number of tensors
 * @param parameterCount the total number of elements
 * @param tensorsByDType how many tensors are stored in each dtype
 * @param bytesByDType   how many data bytes are stored in each dtype
 * @param assetSizes     the size in bytes of each named asset
 */
public record JdwInfo(Path file, long fileSize, int formatVersion, ModelKind kind, String config, int tensorCount,
        long parameterCount, Map<DType, Integer> tensorsByDType, Map<DType, Long> bytesByDType,
        Map<String, Long> assetSizes) {

    public JdwInfo {
        tensorsByDType = tensorsByDType.isEmpty() ? Map.of() : new EnumMap<>(tensorsByDType);
        bytesByDType = bytesByDType.isEmpty() ? Map.of() : new EnumMap<>(bytesByDType);
        assetSizes = new LinkedHashMap<>(assetSizes);
    }

    /** A human-readable multi-line summary, the config last and verbatim. */
    public String summary() {
        String dtypes = tensorsByDType.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue() + " tensors (" + bytes(bytesByDType.get(e.getKey())) + ")")
                .collect(Collectors.joining(", "));
        String assets = assetSizes.isEmpty() ? "none" : assetSizes.entrySet().stream()
                .map(e -> e.getKey() + " (" + bytes(e.getValue()) + ")").collect(Collectors.joining(", "));
        return String.join("\n",
                "file     " + file,
                "size     " + bytes(fileSize),
                "format   " + formatVersion,
                "kind     " + kind,
                "tensors  " + tensorCount + String.format(", %,d parameters", parameterCount),
                "dtypes   " + dtypes,
                "assets   " + assets,
                "config   " + (config == null ? "none" : config.strip()));
    }

    private static String bytes(long count) {
        return String.format("%,d bytes", count) + (count >= 1_000_000 ? String.format(" = %.2f MB", count / 1e6) : "");
    }
}
