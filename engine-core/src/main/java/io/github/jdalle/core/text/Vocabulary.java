package io.github.jdalle.core.text;

import io.github.jdalle.core.JdalleException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A tokenizer vocabulary: token → id, read from a {@code vocab.json} object ({@code {"<s>": 0, "Ġthe": 287, …}}).
 * Ids need not be contiguous, but each id belongs to one token. Immutable.
 */
public final class Vocabulary {
    private final Map<String, Integer> ids;
    private final Map<Integer, String> tokens;
    private final int idLimit;
    private final String source;

    private Vocabulary(Map<String, Integer> ids, Map<Integer, String> tokens, int idLimit, String source) {
        this.ids = ids;
        this.tokens = tokens;
        this.idLimit = idLimit;
        this.source = source;
    }

    /**
     * Parses {@code vocab.json}; throws a {@link JdalleException} naming {@code source} when it is not an object
     * of non-negative integer ids or when two tokens share an id.
     */
    public static Vocabulary fromJson(byte[] json, String source) {
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(json);
        } catch (JacksonException e) {
            throw new JdalleException(source + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new JdalleException(source + " must be a JSON object of token → id");
        }
        Map<String, Integer> ids = HashMap.newHashMap(root.size());
        int maxId = -1;
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            JsonNode value = entry.getValue();
            if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 0) {
                throw new JdalleException(source + ": token \"" + entry.getKey() + "\" has id " + value
                        + ", not a non-negative integer");
            }
            ids.put(entry.getKey(), value.intValue());
            maxId = Math.max(maxId, value.intValue());
        }
        Map<Integer, String> tokens = HashMap.newHashMap(ids.size());
        for (Map.Entry<String, Integer> entry : ids.entrySet()) {
            String previous = tokens.put(entry.getValue(), entry.getKey());
            if (previous != null) {
                throw new JdalleException(source + ": tokens \"" + previous + "\" and \"" + entry.getKey()
                        + "\" share id " + entry.getValue());
            }
        }
        return new Vocabulary(Map.copyOf(ids), Map.copyOf(tokens), maxId + 1, source);
    }

    /** The id of {@code token}, if it is in the vocabulary. */
    public OptionalInt find(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The id of {@code token}; throws a {@link JdalleException} naming the vocabulary file when it is absent. */
    public int id(String token) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new JdalleException(source + " has no token \"" + token + "\"");
        }
        return id;
    }

    /** The token with {@code id}; throws a {@link JdalleException} when no token has it. */
    public String token(int id) {
        String token = tokens.get(id);
        if (token == null) {
            throw new JdalleException(source + " has no token with id " + id);
        }
        return token;
    }

    /** The number of tokens. */
    public int size() {
        return ids.size();
    }

    /** One more than the largest id (the embedding rows the vocabulary needs). */
    public int idLimit() {
        return idLimit;
    }

    /** The file this came from, for error messages. */
    public String source() {
        return source;
    }
}
