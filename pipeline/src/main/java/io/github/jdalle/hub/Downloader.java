package io.github.jdalle.hub;

import io.github.jdalle.core.JdalleException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Fetches files from a Hugging Face hub compatible server ({@code BASE/REPO/resolve/REVISION/FILE}). A
 * download goes to {@code FILE.part} and resumes from it with an HTTP range request; the size is checked
 * against the server's length and, for LFS files, the content against the SHA-256 the hub reports in
 * {@code X-Linked-ETag}; only then is the file moved into place.
 */
public final class Downloader {
    /** Reports bytes received so far of a file of {@code total} bytes (-1 when unknown). */
    @FunctionalInterface
    public interface Progress {
        /** Called after every chunk received, and once more at the end. */
        void update(String file, long received, long total);
    }

    /** The public hub; {@code JDALLE_HUB_URL} overrides it (a mirror, or a local server in tests). */
    public static final String DEFAULT_BASE = "https://huggingface.co";

    private final String base;
    private final HttpClient client;
    private final HttpClient noRedirects;

    /** A downloader for the hub at {@code base}, e.g. {@value #DEFAULT_BASE} or {@code http://127.0.0.1:8080}. */
    public Downloader(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        this.noRedirects = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** A downloader for {@code JDALLE_HUB_URL}, or the public hub. */
    public static Downloader fromEnvironment() {
        String override = System.getenv("JDALLE_HUB_URL");
        return new Downloader(override == null || override.isBlank() ? DEFAULT_BASE : override);
    }

    /** The URL of one file of a repository at a revision. */
    public URI url(String repository, String revision, String file) {
        return URI.create(base + "/" + repository + "/resolve/" + revision + "/" + file);
    }

    /**
     * Downloads {@code file} of {@code repository} into {@code target}, resuming a previous partial download.
     * An existing complete {@code target} is kept as it is.
     */
    public void fetch(String repository, String revision, String file, Path target, Progress progress) {
        if (Files.exists(target)) {
            return;
        }
        URI uri = url(repository, revision, file);
        Path part = target.resolveSibling(target.getFileName() + ".part");
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            long have = Files.exists(part) ? Files.size(part) : 0;
            // The hub names an LFS file's SHA-256 on the redirect it answers with, not on the CDN's reply.
            Optional<String> expectedSha = linkedSha256(uri);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30)).GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            boolean resumed = status == 206;
            if (status != 200 && !resumed) {
                response.body().close();
                if (status == 416 && have > 0) {
                    // the partial file is already complete (or bad): start afresh rather than guess
                    Files.delete(part);
                    fetch(repository, revision, file, target, progress);
                    return;
                }
                throw new JdalleException("download of " + uri + " failed: HTTP " + status);
            }
            long total = totalLength(response, resumed, have);
            long received = resumed ? have : 0;
            try (InputStream in = response.body();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[1 << 20];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    received += n;
                    progress.update(file, received, total);
                }
            }
            if (total >= 0 && received != total) {
                throw new JdalleException("download of " + uri + " stopped at " + received + " of " + total
                        + " bytes; run the command again to resume");
            }
            if (expectedSha.isPresent()) {
                String actual = sha256(part);
                if (!actual.equals(expectedSha.get())) {
                    Files.delete(part);
                    throw new JdalleException("download of " + uri + " is corrupt: SHA-256 " + actual + ", the hub says "
                            + expectedSha.get() + "; the partial file was removed, run the command again");
                }
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new JdalleException("download of " + uri + " failed: " + e.getMessage()
                    + " (the partial file is kept; run the command again to resume)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JdalleException("download of " + uri + " interrupted", e);
        }
    }

    private Optional<String> linkedSha256(URI uri) throws IOException, InterruptedException {
        HttpRequest head = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(1))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<Void> response = noRedirects.send(head, HttpResponse.BodyHandlers.discarding());
        return response.headers().firstValue("x-linked-etag")
                .map(v -> v.replace("\"", "").toLowerCase(Locale.ROOT)).filter(v -> v.matches("[0-9a-f]{64}"));
    }

    private static long totalLength(HttpResponse<?> response, boolean resumed, long have) {
        if (resumed) {
            // Content-Range: bytes START-END/TOTAL
            return response.headers().firstValue("content-range")
                    .map(v -> v.substring(v.lastIndexOf('/') + 1))
                    .filter(v -> v.matches("\\d+")).map(Long::parseLong).orElse(-1L);
        }
        return response.headers().firstValueAsLong("content-length").orElse(-1L);
    }

    /** Lower-case hex SHA-256 of a file. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
