package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.Dl4jReference;
import io.filterscope.model.FixtureModels;
import io.filterscope.server.protocol.ServerEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

    /** A 28 x 28 picture in shades of grey (R = G = B), so the model sees exactly its pixels: no resizing, no colour. */
    static java.awt.image.BufferedImage greyPicture() {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = (x * 9 + y * 5) % 256 / ((x - 14) * (x - 14) + (y - 10) * (y - 10) < 40 ? 1 : 3);
                img.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        return img;
    }

    static byte[] encode(java.awt.image.BufferedImage img, String format) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        assertTrue(javax.imageio.ImageIO.write(img, format, out), format);
        return out.toByteArray();
    }

    @Test
    void uploadedImageGivesActivationMapsStrongestFirst() throws Exception {
        java.awt.image.BufferedImage picture = greyPicture();
        org.nd4j.linalg.api.ndarray.INDArray conv1 = Dl4jReference.load(models.resolve("tiny.zip"))
                .activation("conv1", Dl4jReference.greyInput(picture)).get(org.nd4j.linalg.indexing.NDArrayIndex.point(0));
        byte[] png = encode(picture, "png");
        HttpResponse<byte[]> r = TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", png);
        assertEquals(200, r.statusCode(), new String(r.body()));
        JsonObject maps = new JsonObject(new String(r.body()));
        assertEquals(new JsonArray(List.of(32, 26, 26)), maps.getJsonArray("shape"));
        JsonArray channels = maps.getJsonArray("channels");
        assertEquals(32, channels.size());
        for (int i = 0; i < channels.size(); i++) {
            JsonObject c = channels.getJsonObject(i);
            org.nd4j.linalg.api.ndarray.INDArray map = conv1.get(org.nd4j.linalg.indexing.NDArrayIndex.point(c.getInteger("index")));
            assertEquals(map.meanNumber().doubleValue(), c.getDouble("mean"), 1e-4, "mean of channel " + c.getInteger("index"));
            assertEquals(map.maxNumber().doubleValue(), c.getDouble("max"), 1e-4, "max of channel " + c.getInteger("index"));
            if (i > 0) {
                assertTrue(channels.getJsonObject(i - 1).getDouble("mean") >= c.getDouble("mean"), "strongest first");
            }
        }
        assertTrue(maps.getString("mosaic").startsWith("data:image/png;base64,"));

        HttpResponse<byte[]> one = TestClient.upload(port, "/api/models/tiny/activations?layer=conv1&channel=5&format=png", "image", png);
        assertEquals(200, one.statusCode());
        assertEquals("image/png", one.headers().firstValue("content-type").orElse(""));
        java.awt.image.BufferedImage shown = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(one.body()));
        assertEquals(26, shown.getWidth());
        assertEquals(26, shown.getHeight());
        // Viridis runs from dark purple (0x440154) to yellow (0xfde725), its green rising all the way: the map's
        // strongest pixel is yellow, its weakest purple, and green follows the activation in between.
        float[] values = conv1.get(org.nd4j.linalg.indexing.NDArrayIndex.point(5)).dup('c').data().asFloat();
        float low = Float.MAX_VALUE;
        float high = -Float.MAX_VALUE;
        int[] green = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            low = Math.min(low, values[i]);
            high = Math.max(high, values[i]);
            green[i] = shown.getRGB(i % 26, i / 26) >> 8 & 0xFF;
        }
        assertTrue(high > low, "channel 5 has contrast on this picture");
        for (int i = 0; i < values.length; i++) {
            int rgb = shown.getRGB(i % 26, i / 26) & 0xFFFFFF;
            if (values[i] == high) {
                assertEquals(0xFDE725, rgb, "the strongest pixel is viridis' top colour");
            } else if (values[i] == low) {
                assertEquals(0x440154, rgb, "the weakest pixel is viridis' bottom colour");
            }
            for (int j = 0; j < values.length; j++) {
                if (values[j] > values[i] + 0.02 * (high - low)) {
                    assertTrue(green[j] >= green[i], "pixel " + j + " is stronger than pixel " + i + " but not greener");
                }
            }
        }
    }

    @Test
    void gifAndBmpUploadsGiveTheSameMapsAsThePng() throws Exception {
        java.awt.image.BufferedImage picture = greyPicture();
        JsonArray fromPng = channelsOf(encode(picture, "png"));
        for (String format : List.of("gif", "bmp")) {
            byte[] bytes = encode(picture, format);
            assertEquals(fromPng, channelsOf(bytes), format + " (" + bytes.length + " bytes)");
        }
    }

    private static JsonArray channelsOf(byte[] image) throws Exception {
        HttpResponse<byte[]> r = TestClient.upload(port, "/api/models/tiny/activations?layer=conv2", "image", image);
        assertEquals(200, r.statusCode(), new String(r.body()));
        return new JsonObject(new String(r.body())).getJsonArray("channels");
    }

    @Test
    void badUploadsGetTypedErrors() throws Exception {
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", new byte[] {1, 2, 3, 4}), 415);
        byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertError(TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", webp), 415); // a format named, still 415
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
        // Expected: DL4J's own activations of every example image, ranked here.
        io.filterscope.data.LabeledImages set = io.filterscope.data.IdxFiles.read(models.resolve("tiny.ex-images.idx.gz"),
                models.resolve("tiny.ex-labels.idx.gz"));
        org.nd4j.linalg.api.ndarray.INDArray input = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, set.size(), 1, 28, 28);
        for (int i = 0; i < set.size(); i++) {
            input.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(org.nd4j.linalg.factory.Nd4j.create(set.pixels()[i], new long[] {1, 28, 28}));
        }
        org.nd4j.linalg.api.ndarray.INDArray means = Dl4jReference.load(models.resolve("tiny.zip")).activation("conv3", input)
                .get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(2)).mean(1, 2);
        List<Integer> ranked = java.util.stream.IntStream.range(0, set.size()).boxed()
                .sorted(java.util.Comparator.comparingDouble(i -> -means.getDouble(i))).toList();

        JsonObject ex = new JsonObject(TestClient.get(port, "/api/models/tiny/examples?layer=conv3&filter=2&n=4", null).body());
        JsonArray list = ex.getJsonArray("examples");
        assertEquals(4, list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonObject e = list.getJsonObject(i);
            assertEquals(ranked.get(i), e.getInteger("index"), "place " + i + " of " + list.encode().replaceAll("\"image\":\"[^\"]*\"", ""));
            assertEquals(means.getDouble(ranked.get(i)), e.getDouble("activation"), 1e-4);
            assertEquals(List.of("a", "b", "c").get(set.labels()[ranked.get(i)]), e.getString("label"));
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                    java.util.Base64.getDecoder().decode(e.getString("image").substring("data:image/png;base64,".length()))));
            assertEquals(0, Dl4jReference.greyInput(img).sub(input.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(ranked.get(i), ranked.get(i) + 1)))
                    .amaxNumber().doubleValue(), 1e-6, "the image shown is that example");
        }
        assertEquals(404, TestClient.get(port, "/api/models/tiny/examples?layer=conv3&filter=999", null).statusCode());
        assertEquals(400, TestClient.get(port, "/api/models/tiny/examples?layer=conv3&filter=x", null).statusCode());
    }

    @Test
    void aRunStreamsExactlyOneFramePerStepThenDone() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            long sent = System.nanoTime();
            client.send(startMessage(25, "t1"));
            JsonObject started = client.nextEvent("started");
            assertEquals("t1", started.getString("tag"));
            String run = started.getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"));
            assertEquals(25, done.getInteger("steps"));
            double seconds = done.getDouble("seconds");
            assertTrue(seconds > 0 && seconds <= (System.nanoTime() - sent) / 1e9, "the run held its place for " + seconds + " s");
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
            // Plain ascent keeps the frames noisy, so they are large (a smoothing preset's compress to a few kB).
            slow.send(startMessage(300, null).put("size", 256).put("preset", "plain"));
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

    /** A long run of the tiny model at 96 px (a few ms a step), seeded. */
    private static JsonObject longRun(String tag) {
        return startMessage(100_000, tag).put("size", 96);
    }

    @Test
    void stopEndsTheRunWithinAFewStepsAndItsLastFrameIsAPng() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            client.send(longRun(null));
            String run = client.nextEvent("started").getString("run");
            client.awaitStep(run, 10);
            int seen = client.latestStep(run);
            client.send(new JsonObject().put("op", "stop").put("run", run));
            JsonObject done = client.nextEvent("done");
            assertEquals("stopped", done.getString("reason"));
            int steps = done.getInteger("steps");
            System.out.printf("stop: sent when step %d had arrived, done after step %d%n", seen, steps);
            // The frames on their way when the stop was sent are all the slack there is.
            assertTrue(steps >= seen && steps <= seen + 25, "stopped after step " + steps + ", asked at step " + seen);
            List<TestClient.Frame> frames = client.frames(run);
            TestClient.Frame last = frames.get(frames.size() - 1);
            assertEquals(steps, last.header().getInteger("step"), "the last frame is the step the run stopped at");
            assertTrue(last.header().getBoolean("last"));
            assertEquals("image/png", last.header().getString("mime"));
            assertEquals(steps, frames.stream().filter(f -> !f.header().getBoolean("last")).count(),
                    "a client that keeps up gets one frame for every step before the last");
        }
    }

    /**
     * At 28 px every frame is PNG, so a stop has no JPEG to make up for: its last frame is still marked last and comes
     * before its done, whether the stop comes at once (the step reached may be 0: the starting image) or mid-run.
     */
    @Test
    void aRunStoppedAtOnceOrMidRunEndsWithAFrameMarkedLastBeforeItsDone() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            for (int stopAt : new int[] {0, 10}) {
                client.send(startMessage(100_000, "stop" + stopAt));
                String run = client.nextEvent("started").getString("run");
                if (stopAt > 0) {
                    client.awaitStep(run, stopAt);
                }
                client.send(new JsonObject().put("op", "stop").put("run", run));
                JsonObject done = client.nextEvent(e -> "done".equals(e.getString("type")) && run.equals(e.getString("run")));
                assertEquals("stopped", done.getString("reason"));
                assertEndsWithALastFrame(client, run, done.getInteger("steps"));
            }
        }
    }

    /** The frames of {@code run} up to its done: one per step before it, then the frame of step {@code steps} marked last, PNG. */
    private static void assertEndsWithALastFrame(TestClient client, String run, int steps) throws Exception {
        List<Object> received;
        synchronized (client) {
            received = List.copyOf(client.all);
        }
        int doneAt = -1;
        for (int i = 0; i < received.size() && doneAt < 0; i++) {
            if (received.get(i) instanceof JsonObject e && "done".equals(e.getString("type")) && run.equals(e.getString("run"))) {
                doneAt = i;
            }
        }
        List<TestClient.Frame> frames = received.subList(0, doneAt).stream()
                .filter(o -> o instanceof TestClient.Frame f && run.equals(f.header().getString("run"))).map(o -> (TestClient.Frame) o).toList();
        assertFalse(frames.isEmpty(), "run " + run + " stopped at step " + steps + " sent no frame before its done: " + client.summary());
        TestClient.Frame last = frames.get(frames.size() - 1);
        assertTrue(last.header().getBoolean("last"), "the frame before done is marked last: " + last.header().encode());
        assertEquals(steps, last.header().getInteger("step"), "the last frame is the step the run stopped at");
        assertEquals("image/png", last.header().getString("mime"));
        assertTrue(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(last.image())) != null);
        assertEquals(steps, frames.stream().filter(f -> !f.header().getBoolean("last")).count(), "one frame for every step before the last");
        assertEquals(1, frames.stream().filter(f -> f.header().getBoolean("last")).count(), "one frame marked last");
    }

    @Test
    void anUpdateChangesTheImageFromTheNextStepOnAndBadParamsAreRefused() throws Exception {
        List<TestClient.Frame> updated;
        int at;
        try (TestClient client = TestClient.connect(port)) {
            client.send(startMessage(100_000, null));
            String run = client.nextEvent("started").getString("run");
            client.awaitStep(run, 5);
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("lr", 0.2)));
            JsonObject ack = client.nextEvent("updated");
            assertEquals(run, ack.getString("run"));
            at = ack.getInteger("step");
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("blurSigma", "x")));
            assertEquals("bad_request", client.nextEvent("error").getString("code"));
            client.awaitStep(run, at + 2);
            client.send(new JsonObject().put("op", "stop").put("run", run));
            client.nextEvent("done");
            updated = client.frames(run);
        }
        // The same run without the update, as far as the updated one went.
        List<TestClient.Frame> plain;
        try (TestClient client = TestClient.connect(port)) {
            client.send(startMessage(100_000, null));
            String run = client.nextEvent("started").getString("run");
            client.awaitStep(run, at + 2);
            client.send(new JsonObject().put("op", "stop").put("run", run));
            client.nextEvent("done");
            plain = client.frames(run);
        }
        for (int step = 1; step <= at; step++) {
            assertTrue(largestDifference(updated.get(step - 1), plain.get(step - 1)) <= 1,
                    "step " + step + " ran before the update (acknowledged at step " + at + ") and is unchanged");
        }
        int next = largestDifference(updated.get(at), plain.get(at));
        assertTrue(next > 10, "step " + (at + 1) + " moved the image 20 times as far, yet it differs by only " + next + " levels");
    }

    /** The largest difference of two frames' grey levels (0-255). */
    private static int largestDifference(TestClient.Frame a, TestClient.Frame b) throws java.io.IOException {
        org.nd4j.linalg.api.ndarray.INDArray x = Dl4jReference.greyInput(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(a.image())));
        org.nd4j.linalg.api.ndarray.INDArray y = Dl4jReference.greyInput(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(b.image())));
        return (int) Math.round(x.sub(y).amaxNumber().doubleValue() * 255);
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

    /**
     * A watched run whose owner left stops when its last watcher's socket closes: nobody is left to see it, but its
     * messages (which the recorder of animations hears too) still end with its frame marked last, then its done.
     */
    @Test
    void aWatchedRunStoppedBySocketsClosingEndsWithAFrameMarkedLastBeforeItsDone() throws Exception {
        TestClient owner = TestClient.connect(port);
        TestClient watcher = TestClient.connect(port);
        owner.send(startMessage(100_000, null));
        String run = owner.nextEvent("started").getString("run");
        watcher.send(new JsonObject().put("op", "watch").put("run", run));
        watcher.nextEvent("watching");
        List<Object> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        MessageConsumer<Object> consumer = server.vertx().eventBus().consumer(Addresses.run(run),
                m -> heard.add(m.body()));
        consumer.completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            owner.closeSocket().get(10, TimeUnit.SECONDS);
            owner.close();
            watcher.awaitStep(run, watcher.latestStep(run) + 5); // it goes on for the watcher
            watcher.closeSocket().get(10, TimeUnit.SECONDS);
            watcher.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (heard.stream().noneMatch(o -> o instanceof ServerEvent.Done) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            consumer.unregister();
        }
        int doneAt = -1;
        for (int i = 0; i < heard.size() && doneAt < 0; i++) {
            if (heard.get(i) instanceof ServerEvent.Done) {
                doneAt = i;
            }
        }
        assertTrue(doneAt > 0, "the run's done, after frames: " + heard.size() + " messages");
        ServerEvent.Done done = (ServerEvent.Done) heard.get(doneAt);
        assertEquals(ServerEvent.Done.Reason.STOPPED, done.reason());
        Buffer frame = (Buffer) heard.get(doneAt - 1);
        JsonObject header = new JsonObject(frame.getString(4, 4 + frame.getInt(0)));
        assertTrue(header.getBoolean("last"), "the message before done is a frame marked last: " + header.encode());
        assertEquals(done.steps(), header.getInteger("step"));
        assertEquals("image/png", header.getString("mime"));
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
        ServerConfig config = new ServerConfig("127.0.0.1", 0, models, "s3cret", List.of("http://teacher.example"),
                List.of(), ServerConfig.Limits.DEFAULT, null, false);
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

            URI ws = URI.create("ws://127.0.0.1:" + p + "/ws");
            URI wsWithToken = URI.create("ws://127.0.0.1:" + p + "/ws?token=s3cret");
            String own = "http://127.0.0.1:" + p;
            assertEquals(401, TestClient.upgradeStatus(ws, Map.of()), "no token");
            assertEquals(401, TestClient.upgradeStatus(ws, Map.of("Authorization", "Bearer wrong")), "wrong Bearer token");
            assertEquals(401, TestClient.upgradeStatus(URI.create(ws + "?token=wrong"), Map.of()), "wrong query token");
            assertEquals(101, TestClient.upgradeStatus(ws, Map.of("Authorization", "Bearer s3cret")), "Bearer token on the upgrade");
            assertEquals(101, TestClient.upgradeStatus(wsWithToken, Map.of()), "token in the query");
            assertEquals(403, TestClient.upgradeStatus(wsWithToken, Map.of("Origin", "http://evil.example")), "a foreign page");
            assertEquals(403, TestClient.upgradeStatus(wsWithToken, Map.of("Origin", "http://teacher.example:8080")),
                    "an allowed origin is matched whole, port included");
            assertEquals(101, TestClient.upgradeStatus(wsWithToken, Map.of("Origin", "http://teacher.example")), "--allow-origin");
            assertEquals(101, TestClient.upgradeStatus(wsWithToken, Map.of("Origin", own)), "the server's own page");
            try (TestClient ok = TestClient.connectWith(ws, Map.of("Authorization", "Bearer s3cret", "Origin", own))) {
                ok.send(new JsonObject().put("op", "list"));
                ok.nextEvent("runs");
            }

            HttpResponse<String> page = TestClient.get(p, "/?token=s3cret", null);
            assertEquals(200, page.statusCode(), "the page itself loads without the token");
            assertTrue(page.body().contains("/app.js"));
            assertEquals(200, TestClient.get(p, "/app.js", null).statusCode());
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
                assertEquals(429, TestClient.upgradeStatus(URI.create("ws://127.0.0.1:" + p + "/ws"), Map.of()),
                        "a third socket is one too many");

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
