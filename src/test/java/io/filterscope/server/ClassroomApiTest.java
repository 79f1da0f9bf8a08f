package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.image.Gifs;
import io.filterscope.model.Dl4jReference;
import io.filterscope.model.FixtureModels;
import io.filterscope.server.replay.RunRecorder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The HTTP and WebSocket side of the classroom page: attribution of an upload (predictions against DL4J's own
 * softmax), a run's pace, and a run's animation (frame count, bounds, errors).
 */
class ClassroomApiTest {
    @TempDir
    static Path models;
    static FilterScopeServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        port = server.port();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    private static JsonObject attribution(String query, int status) throws Exception {
        HttpResponse<byte[]> r = TestClient.upload(port, "/api/models/tiny/attribution" + query, "image",
                ServerTest.encode(ServerTest.greyPicture(), "png"));
        assertEquals(status, r.statusCode(), new String(r.body()));
        return new JsonObject(new String(r.body()));
    }

    @Test
    void attributionAnswersDl4jsPredictionsAndAMapAtTheInputSize() throws Exception {
        INDArray logits = Dl4jReference.load(models.resolve("tiny.zip")).logits(Dl4jReference.greyInput(ServerTest.greyPicture()));
        INDArray expected = Transforms.softmax(logits.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE), true);
        int top = expected.argMax(1).getInt(0);

        JsonObject a = attribution("", 200);
        assertEquals("gradcam", a.getString("method"));
        assertEquals("conv4", a.getString("layer"), "the last convolutional layer by default");
        JsonObject detail = new JsonObject(TestClient.get(port, "/api/models/tiny", null).body());
        assertEquals("conv4", detail.getString("gradCamLayer"), "the model's detail names the default layer, which the page selects");
        java.util.Map<String, Boolean> readable = new java.util.LinkedHashMap<>();
        detail.getJsonArray("layers").forEach(l -> readable.put(((JsonObject) l).getString("name"), ((JsonObject) l).getBoolean("gradCam")));
        assertEquals(true, readable.get("conv4"), "a convolution's maps are offered for Grad-CAM: " + readable);
        assertEquals(false, readable.get("output"), "a dense layer's are not: " + readable);
        assertEquals(top, a.getInteger("class"), "the top prediction by default");
        JsonArray predictions = a.getJsonArray("predictions");
        assertEquals(3, predictions.size(), "all 3 classes of a 3-class model (at most 5)");
        for (int i = 0; i < predictions.size(); i++) {
            JsonObject p = predictions.getJsonObject(i);
            assertEquals(expected.getDouble(0, p.getInteger("class")), p.getDouble("probability"), 1e-4);
            assertEquals(List.of("a", "b", "c").get(p.getInteger("class")), p.getString("label"));
        }
        JsonArray map = a.getJsonArray("map");
        assertEquals(28, map.size());
        assertEquals(28, map.getJsonArray(0).size());
        for (Object row : map) {
            for (Object v : (JsonArray) row) {
                double d = ((Number) v).doubleValue();
                assertTrue(d >= 0 && d <= 1, "map values in [0, 1]: " + d);
            }
        }
        for (String image : List.of("overlay", "input", "heatmap")) {
            assertTrue(a.getString(image).startsWith("data:image/png;base64,"), image);
        }

        JsonObject saliency = attribution("?method=saliency&class=1", 200);
        assertEquals(1, saliency.getInteger("class"));
        assertEquals("b", saliency.getString("label"));
        assertNull(saliency.getString("layer"), "saliency reads no layer");
        assertEquals(1, attribution("?method=smoothgrad&class=1", 200).getInteger("class"));
        assertEquals("conv2", attribution("?layer=conv2", 200).getString("layer"));
    }

    @Test
    void badAttributionRequestsGetOneLineErrors() throws Exception {
        assertTrue(attribution("?method=lime", 400).getJsonObject("error").getString("message").contains("gradcam, saliency, smoothgrad"));
        assertTrue(attribution("?class=7", 404).getJsonObject("error").getString("message").contains("class 7 is out of range"));
        assertTrue(attribution("?class=two", 400).getJsonObject("error").getString("message").contains("class"));
        String negative = attribution("?class=-1", 400).getJsonObject("error").getString("message");
        assertTrue(negative.contains("0 or more") && !negative.contains("1048576"), negative);
        assertTrue(attribution("?class=2000000", 404).getJsonObject("error").getString("message").contains("class 2000000 is out of range"));
        assertEquals("class 4294967301 is out of range: model tiny has 3 classes (0-2)",
                attribution("?class=4294967301", 404).getJsonObject("error").getString("message"), "beyond 32 bits as unknown as 7");
        assertEquals("saliency reads no layer: the layer is Grad-CAM's alone; leave it out",
                attribution("?method=saliency&layer=nope", 400).getJsonObject("error").getString("message"));
        assertTrue(attribution("?method=smoothgrad&layer=conv2", 400).getJsonObject("error").getString("message")
                .startsWith("smoothgrad reads no layer"), "a known layer too: the parameter is Grad-CAM's");
        assertTrue(attribution("?layer=conv9", 404).getJsonObject("error").getString("message").contains("unknown layer"));
        assertTrue(attribution("?layer=output", 400).getJsonObject("error").getString("message").contains("dense"));
        assertEquals(415, TestClient.upload(port, "/api/models/tiny/attribution", "image", new byte[] {1, 2, 3}).statusCode());
        byte[] png = ServerTest.encode(ServerTest.greyPicture(), "png");
        HttpResponse<byte[]> corrupt = TestClient.upload(port, "/api/models/tiny/attribution", "image", java.util.Arrays.copyOf(png, png.length / 2));
        assertEquals(400, corrupt.statusCode());
        assertEquals("corrupt or truncated PNG image", new JsonObject(new String(corrupt.body())).getJsonObject("error").getString("message"));
        assertEquals(400, TestClient.upload(port, "/api/models/tiny/attribution", "picture", new byte[] {1, 2, 3}).statusCode());
    }

    private static JsonObject run(TestClient client, int steps, Integer pace) throws InterruptedException {
        JsonObject start = new JsonObject().put("op", "start").put("model", "tiny")
                .put("objective", new JsonObject().put("type", "channel").put("layer", "conv2").put("filter", 3)).put("steps", steps);
        if (pace != null) {
            start.put("pace", pace);
        }
        client.send(start);
        return client.nextEvent("started");
    }

    @Test
    void aPacedRunTakesItsTimeAndItsPaceCanChangeMidRun() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            long began = System.nanoTime();
            run(client, 8, 10);
            client.nextEvent("done");
            double seconds = (System.nanoTime() - began) / 1e9;
            assertTrue(seconds >= 0.65, "8 steps at 10/s took " + seconds + " s");

            String id = run(client, 100_000, 2).getString("run");
            client.send(new JsonObject().put("op", "update").put("run", id).put("pace", 0));
            assertEquals("updated", client.nextEvent(e -> !"started".equals(e.getString("type"))).getString("type"));
            client.awaitStep(id, 50); // at 2 steps a second this would take 25 s
            client.send(new JsonObject().put("op", "stop").put("run", id));
            client.nextEvent("done");

            client.send(new JsonObject().put("op", "start").put("model", "tiny").put("pace", 5000)
                    .put("objective", new JsonObject().put("type", "channel").put("layer", "conv2").put("filter", 3)));
            JsonObject error = client.nextEvent("error");
            assertTrue(error.getString("message").contains("\"pace\" must be a whole number from 0 to 1000"), error.encode());
        }
    }

    private static HttpResponse<byte[]> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }


    @Test
    void aRunsAnimationHasAFramePerStepWithinTheRecordersBound() throws Exception {
        try (TestClient client = TestClient.connect(port)) {
            String shortRun = run(client, 12, null).getString("run");
            client.nextEvent("done");
            HttpResponse<byte[]> gif = get("/api/runs/" + shortRun + "/animation?format=gif&fps=10");
            assertEquals(200, gif.statusCode(), new String(gif.body()));
            assertEquals("image/gif", gif.headers().firstValue("content-type").orElse(""));
            assertEquals(12, Gifs.frames(gif.body()));

            int steps = RunRecorder.MAX_FRAMES + 200;
            String longRun = run(client, steps, null).getString("run");
            client.nextEvent("done");
            int frames = Gifs.frames(get("/api/runs/" + longRun + "/animation").body());
            // Thinned once past 512: half of them, then every second step of the rest.
            assertTrue(frames <= RunRecorder.MAX_FRAMES && frames >= RunRecorder.MAX_FRAMES / 2, frames + " frames of " + steps + " steps");

            assertEquals(400, get("/api/runs/" + shortRun + "/animation?format=webm").statusCode());
            assertEquals(400, get("/api/runs/" + shortRun + "/animation?fps=0").statusCode());
            assertEquals(404, get("/api/runs/rnope/animation").statusCode());
        }
    }
}
