package io.github.jdalle.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.jdalle.core.JdalleException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads from a hub-like server on 127.0.0.1: whole files, resumed ranges, SHA-256 checks, errors. */
class DownloaderTest {
    private final byte[] payload = new byte[3_000_000];
    private final List<String> ranges = new ArrayList<>();
    private HttpServer server;
    private String advertisedSha;

    @BeforeEach
    void start() throws Exception {
        new Random(7).nextBytes(payload);
        advertisedSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/org/model/resolve/rev/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        String file = exchange.getRequestURI().getPath().substring("/org/model/resolve/rev/".length());
        if (!file.equals("flax_model.msgpack")) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().add("X-Linked-Etag", "\"" + advertisedSha + "\"");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        int start = 0;
        if (range != null) {
            ranges.add(range);
            start = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            exchange.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + (payload.length - 1) + "/" + payload.length);
            exchange.sendResponseHeaders(206, payload.length - start);
        } else {
            exchange.sendResponseHeaders(200, payload.length);
        }
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(payload, start, payload.length - start);
        }
    }

    private Downloader downloader() {
        return new Downloader("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Test
    void downloadsWholeFileAndChecksSha(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("flax_model.msgpack");
        long[] last = {0};
        downloader().fetch("org/model", "rev", "flax_model.msgpack", target, (f, received, total) -> last[0] = received);
        assertArrayEquals(payload, Files.readAllBytes(target));
        assertEquals(payload.length, last[0]);
        assertFalse(Files.exists(dir.resolve("flax_model.msgpack.part")));
    }

    @Test
    void resumesFromPartialFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("flax_model.msgpack");
        Files.write(dir.resolve("flax_model.msgpack.part"), Arrays.copyOf(payload, 1_234_567));
        downloader().fetch("org/model", "rev", "flax_model.msgpack", target, (f, r, t) -> { });
        assertEquals(List.of("bytes=1234567-"), ranges);
        assertArrayEquals(payload, Files.readAllBytes(target));
    }

    @Test
    void rejectsContentThatDoesNotMatchTheHubsSha(@TempDir Path dir) {
        advertisedSha = "0".repeat(64);
        Path target = dir.resolve("flax_model.msgpack");
        JdalleException e = assertThrows(JdalleException.class,
                () -> downloader().fetch("org/model", "rev", "flax_model.msgpack", target, (f, r, t) -> { }));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(dir.resolve("flax_model.msgpack.part")));
    }

    @Test
    void reportsMissingFile(@TempDir Path dir) {
        JdalleException e = assertThrows(JdalleException.class,
                () -> downloader().fetch("org/model", "rev", "config.json", dir.resolve("config.json"), (f, r, t) -> { }));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }
}
