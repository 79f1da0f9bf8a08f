package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parts of the WebSocket contract beyond one plain run, against a real server on 127.0.0.1: JPEG frames,
 * watching and unwatching, queue positions as the queue moves, the message size limit, and a front node
 * with no compute worker.
 */
class StreamingProtocolTest {
    @TempDir
    static Path models;
    static FilterScopeServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.withRuns(1, 4)));
        port = server.port();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    private static JsonObject start(int steps, int size, String tag) {
        return new JsonObject().put("op", "start").put("model", "tiny").put("size", size).put("steps", steps).put("seed", 2)
                .put("objective", new JsonObject().put("type", "channel").put("layer", "conv2").put("filter", 1)).put("tag", tag);
    }

    private static BufferedImage decode(TestClient.Frame frame) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(frame.image()));
        assertTrue(image != null, "frame " + frame.header().encode() + " holds an image ImageIO can read");
        return image;
    }

    @Test
    void intermediateFramesOfLargeImagesAreJpegAndTheLastIsPng() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            for (int size : List.of(64, 63)) {
                client.send(start(4, size, "s" + size));
                String run = client.nextEvent(e -> "started".equals(e.getString("type")) && ("s" + size).equals(e.getString("tag")))
                        .getString("run");
                client.nextEvent(e -> "done".equals(e.getString("type")) && run.equals(e.getString("run")));
                List<TestClient.Frame> frames = client.frames(run);
                assertEquals(4, frames.size());
                for (TestClient.Frame f : frames) {
                    boolean last = f.header().getInteger("step") == 4;
                    assertEquals(last, f.header().getBoolean("last"));
                    String mime = last || size < 64 ? "image/png" : "image/jpeg";
                    assertEquals(mime, f.header().getString("mime"), size + " px, step " + f.header().getInteger("step"));
                    byte[] magic = mime.equals("image/png") ? new byte[] {(byte) 0x89, 'P', 'N', 'G'} : new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
                    for (int i = 0; i < magic.length; i++) {
                        assertEquals(magic[i], f.image()[i], mime + " magic bytes");
                    }
                    BufferedImage image = decode(f);
                    assertEquals(size, image.getWidth());
                    assertEquals(size, image.getHeight());
                    assertEquals(size, f.header().getInteger("width"));
                }
            }
        }
    }

    @Test
    void anUnwatchedClientGetsNoMoreFramesAndARunWithNobodyLeftStops() throws Exception {
        try (TestClient owner = TestClient.connect(port); TestClient watcher = TestClient.connect(port)) {
            owner.send(start(100_000, 28, "long"));
            String run = owner.nextEvent("started").getString("run");
            watcher.send(new JsonObject().put("op", "watch").put("run", run));
            watcher.nextEvent("watching");
            watcher.awaitStep(run, owner.latestStep(run) + 3);
            watcher.send(new JsonObject().put("op", "unwatch").put("run", run));
            assertEquals(run, watcher.nextEvent("unwatched").getString("run"));
            int stepAtUnwatch = owner.latestStep(run);
            owner.awaitStep(run, stepAtUnwatch + 30);
            // Anything sent to the watcher before "unwatched" arrived before it; a list answered now comes after
            // every frame the server sent it since.
            watcher.send(new JsonObject().put("op", "list"));
            watcher.nextEvent("runs");
            synchronized (watcher) {
                int unwatchedAt = indexOfEvent(watcher.all, "unwatched");
                assertTrue(watcher.all.subList(unwatchedAt, watcher.all.size()).stream().noneMatch(o -> o instanceof TestClient.Frame),
                        "frames after unwatch: " + watcher.summary());
                assertTrue(watcher.all.subList(0, unwatchedAt).stream().anyMatch(o -> o instanceof TestClient.Frame), "frames while watching");
            }

            // The owner leaves while the watcher watches again: the run goes on for the watcher alone, and stops
            // once the watcher unwatches too.
            watcher.send(new JsonObject().put("op", "watch").put("run", run));
            watcher.nextEvent("watching");
            owner.closeSocket().get(10, TimeUnit.SECONDS);
            int after = watcher.latestStep(run);
            watcher.awaitStep(run, after + 10);
            watcher.send(new JsonObject().put("op", "unwatch").put("run", run));
            watcher.nextEvent("unwatched");
            awaitNoRuns(watcher);
        }
    }

    private static int indexOfEvent(List<Object> received, String type) {
        for (int i = 0; i < received.size(); i++) {
            if (received.get(i) instanceof JsonObject e && type.equals(e.getString("type"))) {
                return i;
            }
        }
        throw new AssertionError("no " + type + " event");
    }

    /** Asks for the list until it is empty (the stop reaches the compute thread a moment after the answer). */
    private static void awaitNoRuns(TestClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonArray runs;
        do {
            client.send(new JsonObject().put("op", "list"));
            runs = client.nextEvent("runs").getJsonArray("runs");
        } while (!runs.isEmpty() && System.nanoTime() < deadline);
        assertEquals(new JsonArray(), runs, "a run nobody sees any more stops");
    }

    /**
     * Starts a run, then three that wait behind it (the device takes one), each told its place (1, 2, 3) with its tag;
     * returns the waiting runs' ids, the running one's last.
     */
    private static String[] oneRunningAndThreeWaiting(TestClient client) throws InterruptedException {
        String[] runs = new String[4];
        client.send(start(100_000, 28, "running"));
        runs[3] = client.nextEvent("started").getString("run");
        for (int i = 0; i < 3; i++) {
            client.send(start(100_000, 28, "w" + i));
            JsonObject queued = client.nextEvent("queued");
            assertEquals("w" + i, queued.getString("tag"));
            assertEquals(i + 1, queued.getInteger("position"));
            runs[i] = queued.getString("run");
        }
        return runs;
    }

    @Test
    void queuedRunsAreToldTheirNewPositionWheneverTheQueueMoves() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            String[] waiting = oneRunningAndThreeWaiting(client);
            String running = waiting[3];
            // A waiting run leaves the queue: the ones behind it move up.
            client.forgetReceived();
            client.send(new JsonObject().put("op", "stop").put("run", waiting[0]));
            awaitEvents(client, "done " + waiting[0], "queued " + waiting[1] + " 1", "queued " + waiting[2] + " 2");
            // The running one ends: the first waiting one starts, the other is now first.
            client.forgetReceived();
            client.send(new JsonObject().put("op", "stop").put("run", running));
            awaitEvents(client, "done " + running, "started " + waiting[1], "queued " + waiting[2] + " 1");
            for (String run : List.of(waiting[1], waiting[2])) {
                client.send(new JsonObject().put("op", "stop").put("run", run));
            }
            awaitNoRuns(client);
        }
    }

    /**
     * A waiting run hears of its place when it first waits and when it changes, once each: a run leaving the end of the
     * queue moves nobody, so nobody is told anything (each was told its place again, before).
     */
    @Test
    void aQueuedRunIsToldEachPlaceOnce() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            String[] waiting = oneRunningAndThreeWaiting(client);
            String running = waiting[3];
            client.send(new JsonObject().put("op", "stop").put("run", waiting[2]));
            client.nextEvent(e -> "done".equals(e.getString("type")) && waiting[2].equals(e.getString("run")));
            // The next stop's events come after any the first one caused: its done, then what it moved.
            client.send(new JsonObject().put("op", "stop").put("run", waiting[0]));
            awaitEvents(client, "done " + waiting[0], "queued " + waiting[1] + " 1");
            synchronized (client) {
                List<String> told = client.all.stream().filter(o -> o instanceof JsonObject e && "queued".equals(e.getString("type")))
                        .map(o -> ((JsonObject) o).getString("run") + " " + ((JsonObject) o).getInteger("position")).toList();
                assertEquals(List.of(waiting[0] + " 1", waiting[1] + " 2", waiting[2] + " 3", waiting[1] + " 1"), told);
            }
            for (String run : List.of(waiting[1], running)) {
                client.send(new JsonObject().put("op", "stop").put("run", run));
            }
            awaitNoRuns(client);
        }
    }

    /** Waits until each event, written "TYPE RUN [POSITION]", has arrived; none may arrive twice. */
    private static void awaitEvents(TestClient client, String... expected) throws InterruptedException {
        java.util.function.Function<List<Object>, List<String>> summary = all -> all.stream()
                .filter(o -> o instanceof JsonObject).map(o -> (JsonObject) o)
                .map(e -> e.getString("type") + " " + e.getString("run") + (e.containsKey("position") ? " " + e.getInteger("position") : ""))
                .toList();
        client.await(all -> summary.apply(all).containsAll(List.of(expected)), String.join(", ", expected));
        synchronized (client) {
            List<String> events = summary.apply(client.all);
            for (String e : expected) {
                assertEquals(1, events.stream().filter(e::equals).count(), e + " once in " + events);
            }
        }
    }

    @Test
    void messagesUpTo64KbAreReadAndALargerOneClosesOnlyThatSocket() throws Exception {
        try (TestClient client = TestClient.connect(port); TestClient bystander = TestClient.connect(port)) {
            String fits = new JsonObject().put("op", "list").put("note", "x".repeat(60 * 1024)).encode();
            client.sendRaw(fits);
            client.nextEvent("runs");
            client.sendRaw(new JsonObject().put("op", "list").put("note", "x".repeat(70 * 1024)).encode());
            client.closedByServer.get(10, TimeUnit.SECONDS);
            bystander.send(new JsonObject().put("op", "list"));
            bystander.nextEvent("runs");
        }
        try (TestClient again = TestClient.connect(port)) {
            again.send(new JsonObject().put("op", "list"));
            again.nextEvent("runs");
        }
    }

    @Test
    void aFrontWithoutAComputeWorkerAnswersNoWorker() throws Exception {
        FilterScopeServer front = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0),
                new FilterScopeServer.Roles(true, false, null));
        try (TestClient client = TestClient.connect(front.port())) {
            client.send(start(5, 28, "nobody"));
            JsonObject error = client.nextEvent("error");
            assertEquals("no_worker", error.getString("code"));
            assertEquals("nobody", error.getString("tag"));
            for (String path : List.of("/api/models/tiny", "/api/models/tiny/examples?layer=conv1&filter=0")) {
                HttpResponse<String> r = TestClient.get(front.port(), path, null);
                assertEquals(503, r.statusCode(), path + ": " + r.body());
                assertEquals("no_worker", new JsonObject(r.body()).getJsonObject("error").getString("code"), path);
            }
            JsonObject health = new JsonObject(TestClient.get(front.port(), "/api/health", null).body());
            assertEquals("no_workers", health.getString("status"));
            assertEquals(new JsonArray(), health.getJsonArray("workers"));
            assertFalse(client.closedByServer.isDone(), "the socket stays open");
        } finally {
            front.closeAndWait();
        }
    }
}
