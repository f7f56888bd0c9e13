package io.github.jdalle.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.weights.JdwFile;
import io.github.jdalle.core.weights.ModelKind;
import io.github.jdalle.hub.HubModel;
import io.github.jdalle.vqgan.Images;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jdalle download} against a hub-like server on 127.0.0.1 that serves the golden VQGAN model folder. */
class DownloadCommandTest {
    private final List<String> requested = new ArrayList<>();
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        HubModel.HubFile first = HubModel.VQGAN.files().getFirst();
        String prefix = "/" + first.repository() + "/resolve/" + first.revision() + "/";
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(prefix, exchange -> serve(exchange, exchange.getRequestURI().getPath().substring(prefix.length())));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange, String name) throws IOException {
        Path file = Golden.file("vqgan/model").resolve(name);
        if (!Files.isRegularFile(file)) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        requested.add(exchange.getRequestMethod() + " " + name);
        byte[] body = Files.readAllBytes(file);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void fetchesConvertsAndThenReusesTheModel(@TempDir Path cache) {
        String hub = "http://127.0.0.1:" + server.getAddress().getPort();
        CliRun run = CliRun.of("download", "vqgan", "--dir", cache.toString(), "--hub-url", hub);
        assertEquals(0, run.exit(), run.describe());
        Path weights = cache.resolve("vqgan.jdw");
        assertEquals(weights.toString(), run.out().strip());
        try (JdwFile file = JdwFile.open(weights)) {
            assertEquals(ModelKind.VQGAN, file.kind());
        }
        assertTrue(Files.notExists(cache.resolve("sources/vqgan")), "sources are removed once converted");
        assertTrue(requested.containsAll(List.of("GET flax_model.msgpack", "GET config.json")), requested.toString());

        requested.clear();
        CliRun again = CliRun.of("download", "vqgan", "--dir", cache.toString(), "--hub-url", hub);
        assertEquals(0, again.exit(), again.describe());
        assertEquals(weights.toString(), again.out().strip());
        assertTrue(again.err().contains("vqgan is already downloaded"), again.describe());
        assertEquals(List.of(), requested, "nothing fetched again");

        // the downloaded VQGAN now fills the --vqgan slot by default
        Path picture = cache.resolve("gradient.png");
        Images.writePng(new RgbImage(32, 32, Golden.npy("vqgan/encode/gradient/image_uint8.npy").bytes()), Map.of(), picture);
        CliRun encode = CliRun.of("encode", "--cache", cache.toString(), picture.toString());
        assertEquals(0, encode.exit(), encode.describe());
        assertEquals("", encode.err(), "no demo note: " + encode.describe());
        assertArrayEquals(Golden.npy("vqgan/encode/gradient/tokens.npy").ints(), CliGoldenTest.ids(encode.out()));
    }

    @Test
    void aMissingFileOnTheHubIsOneLine(@TempDir Path cache) {
        CliRun run = CliRun.of("download", "clip", "--dir", cache.toString(), "--hub-url", "http://127.0.0.1:" + server.getAddress().getPort());
        assertEquals(1, run.exit(), run.describe());
        assertTrue(run.err().strip().matches("jdalle: download of http://127\\.0\\.0\\.1:\\d+/openai/.*failed: HTTP 404"), run.describe());
    }
}
