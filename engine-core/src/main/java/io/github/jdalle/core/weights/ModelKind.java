package io.github.jdalle.core.weights;

import io.github.jdalle.core.JdalleException;
import java.util.Collection;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The three models a weight file can hold, recognised from their Flax parameter trees. */
public enum ModelKind {
    /** DalleBart (DALL·E Mini / Mega): {@code model/encoder/…}, {@code model/decoder/…}, {@code lm_head/kernel}. */
    DALLE_BART("dallebart"),
    /** The VQGAN image decoder/encoder: {@code encoder/…}, {@code decoder/…}, {@code quantize/embedding/embedding}. */
    VQGAN("vqgan"),
    /** CLIP: {@code text_model/…}, {@code vision_model/…}, {@code logit_scale}. */
    CLIP("clip");

    private final String modelType;

    ModelKind(String modelType) {
        this.modelType = modelType;
    }

    /**
     * The kind whose parameter tree {@code paths} is. When {@code configJson} names a {@code model_type} that
     * jdalle knows, it must agree. {@code source} names the checkpoint in error messages.
     */
    public static ModelKind recognise(Collection<String> paths, Optional<String> configJson, String source) {
        ModelKind fromTree = fromTree(paths);
        if (fromTree == null) {
            throw new JdalleException(source + ": not a DalleBart, VQGAN or CLIP parameter tree (top-level keys "
                    + paths.stream().map(p -> p.split("/", 2)[0]).distinct().sorted().toList() + ")");
        }
        ModelKind fromConfig = configJson.map(json -> fromConfig(json, source)).orElse(null);
        if (fromConfig != null && fromConfig != fromTree) {
            throw new JdalleException(source + ": config.json says model_type '" + fromConfig.modelType
                    + "' but the parameter tree is a " + fromTree + " tree");
        }
        return fromTree;
    }

    private static ModelKind fromTree(Collection<String> paths) {
        if (paths.contains("lm_head/kernel") && hasPrefix(paths, "model/encoder/") && hasPrefix(paths, "model/decoder/")) {
            return DALLE_BART;
        }
        if (paths.contains("quantize/embedding/embedding") && hasPrefix(paths, "encoder/") && hasPrefix(paths, "decoder/")) {
            return VQGAN;
        }
        if (paths.contains("logit_scale") && hasPrefix(paths, "text_model/") && hasPrefix(paths, "vision_model/")) {
            return CLIP;
        }
        return null;
    }

    private static boolean hasPrefix(Collection<String> paths, String prefix) {
        return paths.stream().anyMatch(p -> p.startsWith(prefix));
    }

    /** The kind named by the config's {@code model_type}, or null when it names none (the VQGAN config has none). */
    private static ModelKind fromConfig(String json, String source) {
        JsonNode modelType;
        try {
            modelType = new ObjectMapper().readTree(json).get("model_type");
        } catch (JacksonException e) {
            throw new JdalleException(source + ": config.json is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (modelType == null || !modelType.isString()) {
            return null;
        }
        for (ModelKind kind : values()) {
            if (kind.modelType.equals(modelType.asString())) {
                return kind;
            }
        }
        return null;
    }
}
