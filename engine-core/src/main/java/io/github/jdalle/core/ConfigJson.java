package io.github.jdalle.core;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint's {@code config.json} (or one object inside it), read key by key as the model configs need it:
 * a key that is absent or {@code null} takes the caller's default (upstream's), a value of the wrong type or an
 * unsupported variant is a {@link JdalleException} naming the file and the key.
 */
public final class ConfigJson {
    private final JsonNode node;
    /** The file and, for a nested object, the path to it: {@code "x/config.json: text_config."}. */
    private final String where;

    private ConfigJson(JsonNode node, String where) {
        this.node = node;
        this.where = where;
    }

    /** Parses {@code json}, which must hold a JSON object; {@code origin} names the file in error messages. */
    public static ConfigJson parse(String json, String origin) {
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(json);
        } catch (JacksonException e) {
            throw new JdalleException(origin + ": config.json is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new JdalleException(origin + ": config.json is not a JSON object");
        }
        return new ConfigJson(root, origin + ": config.json: ");
    }

    /** The object at {@code key}; an absent key reads as an empty object, so that every key takes its default. */
    public ConfigJson object(String key) {
        JsonNode value = value(key);
        if (value == null) {
            return new ConfigJson(JsonMapper.shared().createObjectNode(), where + key + ".");
        }
        if (!value.isObject()) {
            throw new JdalleException(where + key + " = " + value + " is not a JSON object");
        }
        return new ConfigJson(value, where + key + ".");
    }

    /** The integer at {@code key}, or {@code fallback} when absent. */
    public int integer(String key, int fallback) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!isInt(value)) {
            throw new JdalleException(where + key + " = " + value + " is not an integer");
        }
        return value.intValue();
    }

    /** The number at {@code key}, or {@code fallback} when absent. */
    public double number(String key, double fallback) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw new JdalleException(where + key + " = " + value + " is not a number");
        }
        return value.doubleValue();
    }

    /** The boolean at {@code key}, or {@code fallback} when absent. */
    public boolean bool(String key, boolean fallback) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new JdalleException(where + key + " = " + value + " is not true or false");
        }
        return value.booleanValue();
    }

    /** The list of integers at {@code key}, or {@code fallback} when absent. */
    public List<Integer> integers(String key, List<Integer> fallback) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isArray()) {
            throw notIntegers(key, value);
        }
        List<Integer> result = new ArrayList<>();
        for (JsonNode element : value) {
            if (!isInt(element)) {
                throw notIntegers(key, value);
            }
            result.add(element.intValue());
        }
        return result;
    }

    /**
     * Rejects a variant this implementation does not run: the value at {@code key}, when present, must equal
     * {@code supported} (a string, boolean or integer); {@code seenIn} names the checkpoints that use it.
     */
    public void requireSupported(String key, Object supported, String seenIn) {
        JsonNode value = value(key);
        if (value != null && !matches(value, supported)) {
            throw new JdalleException(where + key + " = " + value + " is not supported (only " + supported
                    + ", as in " + seenIn + ")");
        }
    }

    /** The value at {@code key}, null when absent or JSON {@code null}. */
    private JsonNode value(String key) {
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    private JdalleException notIntegers(String key, JsonNode value) {
        return new JdalleException(where + key + " = " + value + " is not a list of integers");
    }

    private static boolean isInt(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToInt();
    }

    private static boolean matches(JsonNode value, Object supported) {
        return switch (supported) {
            case String s -> value.isString() && value.stringValue().equals(s);
            case Boolean b -> value.isBoolean() && value.booleanValue() == b;
            case Integer i -> isInt(value) && value.intValue() == i;
            default -> throw new IllegalArgumentException("unsupported kind of value " + supported);
        };
    }
}
