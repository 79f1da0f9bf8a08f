package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole contract against a real server on 127.0.0.1, with a small untrained model. */
class ServerTest {
    @TempDir
    static Path models;
    static FilterScopeServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        ServerConfig config = ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.withRuns(2, 2).withUploads(1024 * 1024, 4_000_000).withoutClientShares());
        server = FilterScopeServer.startAndWait(config);
        port = server.port();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    private static JsonObject startMessage(int steps, String tag) {
        return new JsonObject().put("op", "start").put("model", "tiny")
                .put("objective", new JsonObject().put("type", "channel").put("layer", "conv2").put("filter", 3))
                .put("steps", steps).put("seed", 1).put("tag", tag);
    }

    @Test
    void healthReportsBackendAndRunCounts() throws Exception {
        JsonObject health = new JsonObject(TestClient.get(port, "/api/health", null).body());
        assertEquals("ok", health.getString("status"));
        assertEquals("cpu", health.getString("backend"));
        assertTrue(health.containsKey("runsActive") && health.containsKey("runsQueued") && health.containsKey("device"));
    }

    @Test
    void modelsAreListedAndDescribed() throws Exception {
        JsonArray list = new JsonArray(TestClient.get(port, "/api/models", null).body());
        assertEquals("tiny", list.getJsonObject(0).getString("id"));
        assertTrue(list.getJsonObject(0).getBoolean("available"));
        assertEquals(new JsonArray(List.of(1, 28, 28)), list.getJsonObject(0).getJsonArray("inputShape"));
        JsonObject tiny = new JsonObject(TestClient.get(port, "/api/models/tiny", null).body());
        JsonObject conv2 = tiny.getJsonArray("layers").getJsonObject(1);
        assertEquals("conv2", conv2.getString("name"));
        assertEquals(32, conv2.getInteger("channels"));
        assertEquals(new JsonArray(List.of(32, 24, 24)), conv2.getJsonArray("outputShape"));
        HttpResponse<String> missing = TestClient.get(port, "/api/models/nope", null);
        assertEquals(404, missing.statusCode());
        assertEquals("not_found", new JsonObject(missing.body()).getJsonObject("error").getString("code"));
    }

    @Test
    void pageAndItsScriptAreServed() throws Exception {
        HttpResponse<String> page = TestClient.get(port, "/", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("FilterScope") && page.body().contains("/app.js"));
        assertEquals(200, TestClient.get(port, "/app.js", null).statusCode());
    }

    @Test
    void uploadedImageGivesActivationMapsStrongestFirst() throws Exception {
        byte[] png = pngOfSquare();
        HttpResponse<byte[]> r = TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", png);
        assertEquals(200, r.statusCode(), new String(r.body()));
        JsonObject maps = new JsonObject(new String(r.body()));
        assertEquals(new JsonArray(List.of(32, 26, 26)), maps.getJsonArray("shape"));
        JsonArray channels = maps.getJsonArray("channels");
        assertEquals(32, channels.size());
        for (int i = 1; i < channels.size(); i++) {
            assertTrue(channels.getJsonObject(i - 1).getDouble("mean") >= channels.getJsonObject(i).getDouble("mean"));
        }
        assertTrue(maps.getString("mosaic").startsWith("data:image/png;base64,"));

        HttpResponse<byte[]> one = TestClient.upload(port, "/api/models/tiny/activations?layer=conv1&channel=5&format=png", "image", png);
        assertEquals(200, one.statusCode());
        assertEquals((byte) 0x89, one.body()[0]);
        assertEquals("image/png", one.headers().firstValue("content-type").orElse(""));
    }

    @Test
    void badUploadsGetTypedErrors() throws Exception {
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", new byte[] {1, 2, 3, 4}), 415);
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "picture", pngOfSquare()), 400);
        assertError(TestClient.upload(port, "/api/models/tiny/activations", "image", pngOfSquare()), 400);
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv9", "image", pngOfSquare()), 404);
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1&channel=99", "image", pngOfSquare()), 404);
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", new byte[2 * 1024 * 1024]), 413);
        byte[] truncated = java.util.Arrays.copyOf(pngOfSquare(), 60);
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", truncated), 400);
    }

    @Test
    void examplesAreTheMostExcitingImagesBestFirst() throws Exception {
        JsonObject ex = new JsonObject(TestClient.get(port, "/api/models/tiny/examples?layer=conv3&filter=2&n=4", null).body());
        JsonArray list = ex.getJsonArray("examples");
        assertEquals(4, list.size());
        for (int i = 1; i < list.size(); i++) {
            assertTrue(list.getJsonObject(i - 1).getDouble("activation") >= list.getJsonObject(i).getDouble("activation"));
        }
        assertTrue(list.getJsonObject(0).getString("image").startsWith("data:image/png;base64,"));
        assertEquals(404, TestClient.get(port, "/api/models/tiny/examples?layer=conv3&filter=999", null).statusCode());
        assertEquals(400, TestClient.get(port, "/api/models/tiny/examples?layer=conv3&filter=x", null).statusCode());
    }

    @Test
    void aRunStreamsExactlyOneFramePerStepThenDone() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            client.send(startMessage(25, "t1"));
            JsonObject started = client.nextEvent("started");
            assertEquals("t1", started.getString("tag"));
            String run = started.getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"));
            assertEquals(25, done.getInteger("steps"));
            List<TestClient.Frame> frames = client.frames(run);
            assertEquals(25, frames.size(), client.summary());
            for (int i = 0; i < frames.size(); i++) {
                assertEquals(i + 1, frames.get(i).header().getInteger("step"));
                assertEquals(3, frames.get(i).header().getInteger("filter"));
            }
            TestClient.Frame last = frames.get(24);
            assertTrue(last.header().getBoolean("last"));
            assertEquals("image/png", last.header().getString("mime"));
            assertEquals(28, last.header().getInteger("width"));
            assertTrue(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(last.image())) != null);
        }
    }

    @Test
    void batchedFiltersStreamOneFramePerImagePerStep() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            JsonObject start = startMessage(5, null);
            start.put("objective", new JsonObject().put("type", "channel").put("layer", "conv1").put("filters", new JsonArray(List.of(0, 7, 9))));
            client.send(start);
            String run = client.nextEvent("started").getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals(3, done.getJsonArray("losses").size());
            List<TestClient.Frame> frames = client.frames(run);
            assertEquals(15, frames.size());
            assertEquals(List.of(0, 7, 9), frames.subList(12, 15).stream().map(f -> f.header().getInteger("filter")).toList());
        }
    }

    @Test
    void aClientThatFallsBehindMissesIntermediateFramesButNotTheLastOneOrDone() throws Exception {
        try (StalledSocket slow = new StalledSocket(port)) {
            slow.send(startMessage(300, null).put("size", 256));
            String run = slow.readUntil("\"started\"").get(0).getString("run");
            // Read nothing until the whole run has been computed: far more frames than any buffer holds.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (new JsonObject(TestClient.get(port, "/api/health", null).body()).getInteger("runsActive") > 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            List<JsonObject> rest = slow.readUntil("\"done\"");
            List<JsonObject> frames = rest.stream().filter(m -> run.equals(m.getString("run")) && m.containsKey("step")).toList();
            assertTrue(frames.size() < 300, "a client that falls behind misses frames; got all " + frames.size()
                    + " (" + slow.bytesRead() + " bytes)");
            JsonObject last = frames.get(frames.size() - 1);
            assertEquals(300, last.getInteger("step"));
            assertTrue(last.getBoolean("last"));
            assertEquals("image/png", last.getString("mime"));
            assertEquals("completed", rest.get(rest.size() - 1).getString("reason"));
        }
    }

    @Test
    void stopEndsTheRunWithinAStepAndUpdateIsAcknowledged() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            client.send(startMessage(100_000, null));
            String run = client.nextEvent("started").getString("run");
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("blurSigma", 1.0)));
            JsonObject updated = client.nextEvent("updated");
            assertEquals(run, updated.getString("run"));
            assertTrue(updated.getInteger("step") >= 0);
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("blurSigma", "x")));
            assertEquals("bad_request", client.nextEvent("error").getString("code"));
            client.send(new JsonObject().put("op", "stop").put("run", run));
            JsonObject done = client.nextEvent("done");
            assertEquals("stopped", done.getString("reason"));
            assertTrue(done.getInteger("steps") < 100_000);
        }
    }

    @Test
    void aSecondClientCanWatchARunAndListShowsIt() throws Exception {
        try (TestClient owner = TestClient.connect(port); TestClient watcher = TestClient.connect(port)) {
            owner.send(startMessage(400, null));
            String run = owner.nextEvent("started").getString("run");
            watcher.send(new JsonObject().put("op", "list"));
            JsonObject runs = watcher.nextEvent("runs");
            assertTrue(runs.getJsonArray("runs").stream().anyMatch(r -> run.equals(((JsonObject) r).getString("run"))), runs.encode());
            watcher.send(new JsonObject().put("op", "watch").put("run", run));
            watcher.nextEvent("watching");
            JsonObject done = watcher.nextEvent("done");
            assertEquals("completed", done.getString("reason"));
            assertFalse(watcher.frames(run).isEmpty());
            assertTrue(watcher.frames(run).get(watcher.frames(run).size() - 1).header().getBoolean("last"));
            watcher.send(new JsonObject().put("op", "stop").put("run", run));
            assertEquals("not_found", watcher.nextEvent("error").getString("code"));
        }
    }

    @Test
    void onlyTheOwnerMayStopARun() throws Exception {
        try (TestClient owner = TestClient.connect(port); TestClient other = TestClient.connect(port)) {
            owner.send(startMessage(100_000, null));
            String run = owner.nextEvent("started").getString("run");
            other.send(new JsonObject().put("op", "stop").put("run", run));
            assertEquals("forbidden", other.nextEvent("error").getString("code"));
            owner.send(new JsonObject().put("op", "stop").put("run", run));
            owner.nextEvent("done");
        }
    }

    @Test
    void badMessagesGetTypedErrorsAndTheConnectionStaysOpen() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            client.sendRaw("{not json");
            assertEquals("bad_request", client.nextEvent("error").getString("code"));
            client.sendRaw("[1,2]");
            assertEquals("bad_request", client.nextEvent("error").getString("code"));
            client.send(new JsonObject().put("op", "dance"));
            assertTrue(client.nextEvent("error").getString("message").contains("unknown op 'dance'"));
            client.send(startMessage(5, "x").put("model", "nope"));
            JsonObject unknownModel = client.nextEvent("error");
            assertEquals("not_found", unknownModel.getString("code"));
            assertEquals("x", unknownModel.getString("tag"));
            client.send(startMessage(5, null).put("objective", new JsonObject().put("type", "channel").put("layer", "conv9").put("filter", 0)));
            assertEquals("not_found", client.nextEvent("error").getString("code"));
            client.send(startMessage(5, null).put("params", new JsonObject().put("lr", -1)));
            assertTrue(client.nextEvent("error").getString("message").contains("lr must be between"));
            client.send(startMessage(0, null));
            assertEquals("bad_request", client.nextEvent("error").getString("code"));
            client.send(new JsonObject().put("op", "list"));
            client.nextEvent("runs");
        }
    }

    @Test
    void closingTheSocketStopsItsRunsUnlessSomeoneWatches() throws Exception {
        try (TestClient watcher = TestClient.connect(port)) {
            TestClient owner = TestClient.connect(port);
            owner.send(startMessage(100_000, null));
            String watched = owner.nextEvent("started").getString("run");
            watcher.send(new JsonObject().put("op", "watch").put("run", watched));
            watcher.nextEvent("watching");
            owner.send(startMessage(100_000, null));
            String alone = owner.nextEvent(e -> "started".equals(e.getString("type")) && !watched.equals(e.getString("run"))).getString("run");
            owner.closeSocket().get(10, TimeUnit.SECONDS);
            owner.close();
            awaitRuns(runs -> runs.stream().noneMatch(r -> alone.equals(((JsonObject) r).getString("run")))
                    && runs.stream().anyMatch(r -> watched.equals(((JsonObject) r).getString("run"))));
            int before = watcher.frames(watched).size();
            Thread.sleep(300);
            assertTrue(watcher.frames(watched).size() > before, "the watched run goes on");
            watcher.closeSocket().get(10, TimeUnit.SECONDS);
        }
        awaitRuns(JsonArray::isEmpty);
    }

    @Test
    void runsBeyondTheDeviceLimitWaitInTheQueueWithTheirPosition() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            for (int i = 0; i < 2; i++) {
                client.send(startMessage(100_000, "long" + i));
                client.nextEvent("started");
            }
            client.send(startMessage(3, "waiting"));
            JsonObject queued = client.nextEvent("queued");
            assertEquals(1, queued.getInteger("position"));
            assertEquals("waiting", queued.getString("tag"));
            client.send(startMessage(3, "second"));
            assertEquals(2, client.nextEvent("queued").getInteger("position"));
            client.send(startMessage(3, "refused"));
            assertEquals("too_many_runs", client.nextEvent("error").getString("code"));
            JsonObject health = new JsonObject(TestClient.get(port, "/api/health", null).body());
            assertEquals(2, health.getInteger("runsActive"));
            assertEquals(2, health.getInteger("runsQueued"));
            client.send(new JsonObject().put("op", "list"));
            JsonArray runs = client.nextEvent("runs").getJsonArray("runs");
            String first = runs.getJsonObject(0).getString("run");
            client.send(new JsonObject().put("op", "stop").put("run", first));
            JsonObject started = client.nextEvent(e -> "started".equals(e.getString("type")) && "waiting".equals(e.getString("tag")));
            assertEquals("completed", client.nextEvent(e -> "done".equals(e.getString("type"))
                    && started.getString("run").equals(e.getString("run"))).getString("reason"));
        }
        awaitRuns(JsonArray::isEmpty);
    }

    private static void awaitRuns(java.util.function.Predicate<JsonArray> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonArray runs = null;
        try (TestClient probe = TestClient.connect(port)) {
            while (System.nanoTime() < deadline) {
                probe.send(new JsonObject().put("op", "list"));
                runs = probe.nextEvent("runs").getJsonArray("runs");
                if (condition.test(runs)) {
                    return;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("runs never reached the expected state; last seen " + runs);
    }

    private static void assertError(HttpResponse<byte[]> response, int status) {
        assertEquals(status, response.statusCode(), new String(response.body()));
        JsonObject error = new JsonObject(new String(response.body())).getJsonObject("error");
        assertTrue(error.getString("code").length() > 0 && error.getString("message").length() > 0);
    }

    static byte[] pngOfSquare() throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 40, java.awt.image.BufferedImage.TYPE_INT_RGB);
        img.getGraphics().fillRect(10, 10, 20, 20);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void tokenAndOriginAreEnforced() throws Exception {
        ServerConfig config = ServerConfig.defaults(models).withPort(0).withToken("s3cret");
        FilterScopeServer guarded = FilterScopeServer.startAndWait(config);
        try {
            int p = guarded.port();
            for (String path : List.of("/api/health", "/api/models", "/api/models/tiny", "/api/models/tiny/examples?layer=conv1&filter=0")) {
                assertEquals(401, TestClient.get(p, path, null).statusCode(), path);
                assertEquals(401, TestClient.get(p, path, "wrong").statusCode(), path);
                assertEquals(200, TestClient.get(p, path, "s3cret").statusCode(), path);
            }
            assertEquals(200, TestClient.get(p, "/api/health?token=s3cret", null).statusCode());
            assertEquals(401, TestClient.upload(p, "/api/models/tiny/activations?layer=conv1", "image", pngOfSquare()).statusCode());
            assertThrows(Exception.class, () -> TestClient.connect(URI.create("ws://127.0.0.1:" + p + "/ws"), null));
            assertThrows(Exception.class, () -> TestClient.connect(URI.create("ws://127.0.0.1:" + p + "/ws?token=s3cret"),
                    "http://evil.example"));
            try (TestClient ok = TestClient.connect(URI.create("ws://127.0.0.1:" + p + "/ws?token=s3cret"), "http://127.0.0.1:" + p)) {
                ok.send(new JsonObject().put("op", "list"));
                ok.nextEvent("runs");
            }
        } finally {
            guarded.closeAndWait();
        }
    }

    @Test
    void perConnectionRunsMessageRateAndSocketCountAreLimited() throws Exception {
        ServerConfig config = ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.withConnections(1, 2, 20));
        FilterScopeServer limited = FilterScopeServer.startAndWait(config);
        try {
            int p = limited.port();
            try (TestClient first = TestClient.connect(p); TestClient second = TestClient.connect(p)) {
                assertThrows(Exception.class, () -> TestClient.connect(p), "a third socket is one too many");

                first.send(startMessage(100_000, "one"));
                String run = first.nextEvent("started").getString("run");
                first.send(startMessage(5, "two"));
                JsonObject refused = first.nextEvent("error");
                assertEquals("too_many_runs", refused.getString("code"));
                assertEquals("two", refused.getString("tag"));
                first.send(new JsonObject().put("op", "stop").put("run", run));
                first.nextEvent("done");

                for (int i = 0; i < 60; i++) {
                    second.send(new JsonObject().put("op", "list"));
                }
                JsonObject limitedAnswer = second.nextEvent("error");
                assertEquals("rate_limited", limitedAnswer.getString("code"));
            }
            Thread.sleep(300);
            try (TestClient again = TestClient.connect(p)) {
                again.send(new JsonObject().put("op", "list"));
                again.nextEvent("runs");
            }
        } finally {
            limited.closeAndWait();
        }
    }

    @Test
    void closingTheServerTellsRunningClientsTheirRunsStopped() throws Exception {
        FilterScopeServer closing = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        try (TestClient client = TestClient.connect(closing.port())) {
            client.send(startMessage(100_000, null));
            String run = client.nextEvent("started").getString("run");
            long started = System.nanoTime();
            closing.closeAndWait();
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10), "closing is bounded");
            JsonObject done = client.nextEvent("done");
            assertEquals(run, done.getString("run"));
            assertEquals("stopped", done.getString("reason"));
        }
    }
}
