package io.github.jdalle.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ConfigJson}: defaults for absent and null keys, and errors that name the file and the key. */
class ConfigJsonTest {
    private static final String JSON = """
            {"width": 64, "gone": null, "eps": 1e-5, "flag": true, "levels": [1, 2], "name": "gelu",
             "tower": {"layers": 3, "act": "relu"}, "wide": 3000000000}""";

    @Test
    void presentKeysAreReadAndAbsentOrNullOnesTakeTheDefault() {
        ConfigJson config = ConfigJson.parse(JSON, "m");
        assertEquals(64, config.integer("width", 1));
        assertEquals(7, config.integer("gone", 7));
        assertEquals(7, config.integer("missing", 7));
        assertEquals(1e-5, config.number("eps", 0), 0);
        assertEquals(2.5, config.number("width2", 2.5), 0);
        assertEquals(true, config.bool("flag", false));
        assertEquals(List.of(1, 2), config.integers("levels", List.of()));
        assertEquals(3, config.object("tower").integer("layers", 0));
        assertEquals(5, config.object("absent").integer("layers", 5));
        config.requireSupported("name", "gelu", "x");
        config.requireSupported("missing", "gelu", "x");
    }

    @Test
    void wrongTypesAndUnsupportedValuesNameFileAndKey() {
        ConfigJson config = ConfigJson.parse(JSON, "m");
        assertEquals("m: config.json: name = \"gelu\" is not an integer",
                assertThrows(JdalleException.class, () -> config.integer("name", 0)).getMessage());
        assertEquals("m: config.json: wide = 3000000000 is not an integer",
                assertThrows(JdalleException.class, () -> config.integer("wide", 0)).getMessage());
        assertEquals("m: config.json: flag = true is not a number",
                assertThrows(JdalleException.class, () -> config.number("flag", 0)).getMessage());
        assertEquals("m: config.json: width = 64 is not true or false",
                assertThrows(JdalleException.class, () -> config.bool("width", false)).getMessage());
        assertEquals("m: config.json: width = 64 is not a list of integers",
                assertThrows(JdalleException.class, () -> config.integers("width", List.of())).getMessage());
        assertEquals("m: config.json: width = 64 is not a JSON object",
                assertThrows(JdalleException.class, () -> config.object("width")).getMessage());
        assertEquals("m: config.json: tower.act = \"relu\" is not supported (only quick_gelu, as in clip)",
                assertThrows(JdalleException.class,
                        () -> config.object("tower").requireSupported("act", "quick_gelu", "clip")).getMessage());
    }

    @Test
    void textThatIsNotAnObjectIsRejected() {
        assertEquals("m: config.json is not a JSON object",
                assertThrows(JdalleException.class, () -> ConfigJson.parse("[1]", "m")).getMessage());
        assertThrows(JdalleException.class, () -> ConfigJson.parse("{", "m"));
    }
}
