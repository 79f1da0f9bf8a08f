package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, items 3, 4 and 8: images are refused by the size their header declares (each side, not only the
 * pixel count), uploads cannot fill the disk or be left behind, and they work where the working directory
 * cannot be written (as in our Docker image).
 */
class UploadLimitsTest {
    @TempDir
    static Path models;
    private static FilterScopeServer server;
    private static Vertx vertx;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.withoutClientShares()));
        port = server.port();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    /**
     * A 39,000,000 x 1 grey PNG of 40 KB has fewer pixels than the limit, and was stretched to a 2.2 GB image,
     * stalling every run. Its header's width is over the per-side limit: refused at once, and a run going on
     * meanwhile keeps its pace. A strip within the limits is resized without blowing up.
     */
    @Test
    void aThinImageIsRefusedFromItsHeaderAndRunsKeepTheirPace() throws Exception {
        byte[] thin = greyPng(39_000_000, 1);
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            socket.send(Peer.start("tiny", "conv2", 3, 100_000, "long"));
            String run = socket.next("started").getString("run");
            double alone = stepsPerSecond(socket, 2000);
            List<Long> times = new ArrayList<>();
            CompletableFuture<Double> during = CompletableFuture.supplyAsync(() -> stepsPerSecond(socket, 2000));
            for (int i = 0; i < 5; i++) {
                long t = System.nanoTime();
                Peer.Response r = peer.upload(port, "/api/models/tiny/activations?layer=conv1", thin);
                times.add((System.nanoTime() - t) / 1_000_000);
                assertEquals(413, r.status(), r.body().toString());
                assertEquals("too_large", r.error());
                assertTrue(r.json().getJsonObject("error").getString("message").contains("a side"), r.body().toString());
            }
            double meanwhile = during.get(30, TimeUnit.SECONDS);
            System.out.printf("hardening: %d-byte 39,000,000x1 PNG refused in %s ms; run %.0f steps/s alone, %.0f during%n",
                    thin.length, times, alone, meanwhile);
            assertTrue(meanwhile > alone / 2, "the run keeps its pace: " + alone + " -> " + meanwhile);

            long t = System.nanoTime();
            Peer.Response strip = peer.upload(port, "/api/models/tiny/activations?layer=conv1", greyPng(16_000, 2));
            long stripMs = (System.nanoTime() - t) / 1_000_000;
            System.out.printf("hardening: a 16,000x2 strip (within the limits) answered in %d ms%n", stripMs);
            assertEquals(200, strip.status(), strip.body().toString());
            assertTrue(stripMs < 5000, stripMs + " ms");
            Peer.Response square = peer.upload(port, "/api/models/tiny/activations?layer=conv1", greyPng(39_000, 1000));
            assertEquals(413, square.status(), "39 megapixels, but 39,000 px wide");
            socket.send(new io.vertx.core.json.JsonObject().put("op", "stop").put("run", run));
            socket.next("done");
        }
    }

    /**
     * A multipart request with hundreds of file parts failed with 500 and left its parts in ./file-uploads
     * (40 such requests: 152 MB in 8 s). Now: 413 at the ninth part, the connection closed, nothing left, and
     * nothing thrown in the server: Vert.x's clean-up of a refused upload threw "File handle is closed" at a part
     * just written (logged as an unhandled exception on the event loop, the request left unanswered).
     */
    @Test
    void uploadsWithManyPartsAreRefusedAndLeaveNothingBehind() throws Exception {
        HttpClient http = vertx.createHttpClient();
        Buffer body = manyParts(300, 16 * 1024);
        long t = System.nanoTime();
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(logged, true));
        List<Integer> statuses = new ArrayList<>();
        try {
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                answers.add(http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                                .setURI("/api/models/tiny/activations?layer=conv1").putHeader("Content-Type", "multipart/form-data; boundary=XX"))
                        .compose(r -> r.send(body)).map(r -> r.statusCode()).recover(e -> io.vertx.core.Future.succeededFuture(-1))
                        .toCompletionStage().toCompletableFuture());
            }
            for (CompletableFuture<Integer> a : answers) {
                statuses.add(a.get(60, TimeUnit.SECONDS));
            }
            Thread.sleep(2000);
        } finally {
            System.setErr(original);
        }
        long ms = (System.nanoTime() - t) / 1_000_000;
        long refused = statuses.stream().filter(s -> s == 413).count();
        long left = filesUnderUploadDirectories();
        assertFalse(logged.toString().contains("Unhandled exception"), "nothing thrown to the event loop:\n" + logged);
        System.out.printf("hardening: 40 uploads of 300 parts (4.9 MB each): %d answered 413 (others cut off: %s) in %d ms; "
                + "%d files left 2 s later%n", refused, statuses.stream().filter(s -> s != 413).toList(), ms, left);
        assertTrue(statuses.stream().allMatch(s -> s == 413 || s == -1), "413 or the connection closed, never 500: " + statuses);
        assertTrue(refused > 0);
        assertEquals(0, left, "every part is removed");
        assertFalse(Files.exists(Path.of("file-uploads")), "nothing is written to the working directory");
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            assertEquals(200, peer.upload(port, "/api/models/tiny/activations?layer=conv1", greyPng(40, 40)).status(),
                    "a proper upload still works");
        }
        http.close();
    }

    /** A part whose header passes Netty's 4 KB was answered 400 with the message "null". */
    @Test
    void aPartHeaderTooLongIsAOneLineError() throws Exception {
        Buffer body = Buffer.buffer().appendString("--XX\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                + "a".repeat(5000) + ".png\"\r\nContent-Type: image/png\r\n\r\n").appendBytes(greyPng(8, 8))
                .appendString("\r\n--XX--\r\n");
        // A client of its own: the many-part test may have spent 127.0.0.1's share of requests.
        try (Peer peer = new Peer(vertx, "127.0.0.7")) {
            Peer.Response r = peer.post(port, "/api/models/tiny/activations?layer=conv1", "multipart/form-data; boundary=XX", body);
            assertEquals(400, r.status(), r.body().toString());
            assertEquals("malformed request: a part's header is broken or longer than 4 KB",
                    r.json().getJsonObject("error").getString("message"));
        }
    }

    /** A multipart upload without a boundary was answered 400 with about 1 KB of the PNG's raw bytes as its message. */
    @Test
    void aMultipartUploadWithoutABoundaryIsAShortOneLineError() throws Exception {
        java.awt.image.BufferedImage noise = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 32 * 32; i++) {
            noise.setRGB(i % 32, i / 32, random.nextInt(1 << 24));
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(noise, "png", png);
        Buffer body = Buffer.buffer(png.toByteArray()); // as curl -H 'Content-Type: multipart/form-data' --data-binary @a.png sends
        try (Peer peer = new Peer(vertx, "127.0.0.9")) {
            Peer.Response r = peer.post(port, "/api/models/tiny/activations?layer=conv1", "multipart/form-data", body);
            assertEquals(400, r.status(), r.body().toString());
            String message = r.json().getJsonObject("error").getString("message");
            assertTrue(message.length() <= 200 && !message.matches("(?s).*\\p{Cntrl}.*"), message.length() + " chars: " + message);
        }
    }

    /**
     * A body that ends inside its image part (no closing boundary) left the request unanswered until the idle
     * timeout closed the connection, two minutes later: Vert.x waits for the part's end.
     */
    @Test
    void anUploadWhoseBodyEndsInsideAPartIsAnsweredAtOnce() throws Exception {
        Buffer body = Buffer.buffer().appendString("--XX\r\nContent-Disposition: form-data; name=\"image\"; "
                + "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").appendBytes(greyPng(8, 8));
        try (Peer peer = new Peer(vertx, "127.0.0.8")) {
            Peer.Response r = peer.post(port, "/api/models/tiny/activations?layer=conv1", "multipart/form-data; boundary=XX", body);
            assertEquals(400, r.status(), r.body().toString());
            assertEquals("malformed upload: the body ends inside a part (its closing boundary is missing)",
                    r.json().getJsonObject("error").getString("message"));
            assertEquals(200, peer.upload(port, "/api/models/tiny/activations?layer=conv1", greyPng(8, 8)).status(),
                    "the next upload is answered");
        }
    }

    /**
     * In our Docker image the working directory belongs to root and the server runs as another user, so
     * uploads written to ./file-uploads failed. A server whose working directory is /proc (which not even
     * root can write) takes uploads.
     */
    @Test
    void uploadsWorkWhereTheWorkingDirectoryIsNotWritable() throws Exception {
        assertFalse(new java.io.File("/proc/filterscope-probe").mkdir(), "/proc is not writable");
        try (ServerProcess child = ServerProcess.start(Path.of("/proc"), List.of("-Xmx512m"),
                List.of("--models", models.toAbsolutePath().toString()), Path.of("target", "hardening", "readonly-cwd.log"));
             Peer peer = new Peer(vertx, "127.0.0.1")) {
            Peer.Response r = peer.upload(child.port, "/api/models/tiny/activations?layer=conv1", greyPng(40, 40));
            assertEquals(200, r.status(), r.body().toString());
            assertEquals(32, r.json().getJsonArray("channels").size());
        }
    }

    private static double stepsPerSecond(Peer.Socket socket, long ms) {
        int before = socket.frames.get();
        long t = System.nanoTime();
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return (socket.frames.get() - before) / ((System.nanoTime() - t) / 1e9);
    }

    private static long filesUnderUploadDirectories() throws IOException {
        long count = 0;
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith("filterscope-uploads-")).toList()) {
                try (Stream<Path> files = Files.walk(d)) {
                    count += files.filter(Files::isRegularFile).count();
                }
            }
        }
        return count;
    }

    private static Buffer manyParts(int parts, int bytes) {
        Buffer body = Buffer.buffer();
        byte[] content = new byte[bytes];
        for (int i = 0; i < parts; i++) {
            body.appendString("--XX\r\nContent-Disposition: form-data; name=\"f" + i + "\"; filename=\"f" + i
                    + ".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").appendBytes(content).appendString("\r\n");
        }
        return body.appendString("--XX--\r\n");
    }

    /** An 8-bit grey PNG of mid-grey, written by hand so that huge sides cost no memory here. */
    static byte[] greyPng(int width, int height) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(raw, new Deflater(9))) {
            byte[] row = new byte[width + 1];
            java.util.Arrays.fill(row, 1, row.length, (byte) 0x80);
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(png, "IDAT", raw.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        png.write(ByteBuffer.allocate(4).putInt(data.length).array());
        png.write(t);
        png.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        png.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
