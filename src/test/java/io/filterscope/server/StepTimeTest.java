package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One client's huge run must not stall every other client (a newcomer's trial: 64 filters of emoji-cnn's conv6 at
 * 256 px took 12-15 s a step on 2 cores, and every other client waited that long for a list, a start or a step): a
 * run whose step would take longer than {@link Limit#STEP_TIME} is refused before it starts, with the default
 * limit, while every gallery the page asks for on the bundled models still starts.
 */
class StepTimeTest {
    private static Vertx vertx;
    private static FilterScopeServer server;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        // A budget set, not taken from the machine's free memory: with others' processes running, 3/4 of what is free
        // was under the huge run's 10 GB, and the memory budget refused it before the step time could.
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(Path.of("models")).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.with(Limit.MEMORY_BUDGET, 64L << 30)));
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    private static JsonObject gallery(String model, String layer, int filters, Integer size, String tag) {
        JsonObject start = new JsonObject().put("op", "start").put("model", model).put("steps", 100_000).put("tag", tag)
                .put("objective", new JsonObject().put("type", "channel").put("layer", layer)
                        .put("filters", new JsonArray(IntStream.range(0, filters).boxed().toList())));
        return size == null ? start : start.put("size", size);
    }

    @Test
    void aRunWhoseStepWouldStallEveryoneIsRefusedWithWhatToDo() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.21"); Peer.Socket socket = peer.connect(server.port())) {
            long asked = System.nanoTime();
            socket.send(gallery("emoji-cnn", "conv6", 64, 256, "huge"));
            JsonObject refused = socket.next("error");
            double ms = (System.nanoTime() - asked) / 1e6;
            String message = refused.getString("message");
            System.out.printf("hardening: 64 filters of emoji-cnn conv6 at 256 px refused in %.0f ms: %s%n", ms, message);
            assertEquals("too_large", refused.getString("code"), refused.encode());
            assertEquals("huge", refused.getString("tag"));
            assertTrue(message.startsWith("64 images of 256 px to 'conv6' on emoji-cnn take about "), message);
            assertTrue(message.contains(" s a step on this worker, more than its limit of 3.0 s"), message);
            assertTrue(message.endsWith("ask for fewer filters or a smaller size"), message);
            assertTrue(!message.contains("\n"), "one line: " + message);

            socket.send(new JsonObject().put("op", "list"));
            assertEquals(0, socket.next("runs").getJsonArray("runs").size(), "nothing of it runs or waits");
        }
    }

    /**
     * Few filters of a shallow layer at a large size: 8 of emoji-cnn's conv1 at 512 px took 6.4-9.8 s of processor
     * time a step, nearly all of it the images' own work (their Fourier transforms) and the thin first convolution,
     * which an estimate from the network's multiply-adds alone put at 0.1 s.
     */
    @Test
    void largeImagesOfAShallowLayerAreRefusedForTheirOwnWork() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.23"); Peer.Socket socket = peer.connect(server.port())) {
            socket.send(gallery("emoji-cnn", "conv1", 8, 512, "shallow"));
            JsonObject refused = socket.next("error");
            String message = refused.getString("message");
            System.out.printf("hardening: 8 filters of emoji-cnn conv1 at 512 px refused: %s%n", message);
            assertEquals("too_large", refused.getString("code"), refused.encode());
            assertTrue(message.startsWith("8 images of 512 px to 'conv1' on emoji-cnn take about "), message);
            assertTrue(message.endsWith("ask for fewer filters or a smaller size") && !message.contains("\n"), message);
        }
    }

    /**
     * How long a gallery's start and first step may take: a start first scores the layer's example pictures (its
     * images start from them), and a first step compiles the layer's network for the gallery's batch, which in
     * CI's busy test JVM took over a minute once (this test checks that the galleries are accepted, not their speed).
     */
    private static final long SLOW_S = 240;

    /** What the page sends for a layer's gallery (every filter, the model's size) on every spatial layer, and the class gallery. */
    @Test
    void everyGalleryThePageAsksForOnTheBundledModelsStarts() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.22"); Peer.Socket socket = peer.connect(server.port())) {
            JsonArray models = peer.get(server.port(), "/api/models").body().toJsonArray();
            int started = 0;
            for (int m = 0; m < models.size(); m++) {
                String id = models.getJsonObject(m).getString("id");
                JsonObject model = peer.get(server.port(), "/api/models/" + id).json();
                int size = model.getJsonArray("inputShape").getInteger(1);
                JsonArray layers = model.getJsonArray("layers");
                for (int l = 0; l < layers.size(); l++) {
                    JsonObject layer = layers.getJsonObject(l);
                    if (layer.getJsonArray("outputShape").size() != 3) {
                        continue;
                    }
                    String tag = id + "/" + layer.getString("name");
                    long asked = System.nanoTime();
                    socket.send(gallery(id, layer.getString("name"), layer.getInteger("channels"), size, tag));
                    JsonObject answer = socket.next(e -> tag.equals(e.getString("tag")) && !"preparing".equals(e.getString("type")), SLOW_S);
                    assertEquals("started", answer.getString("type"), answer.encode());
                    long running = System.nanoTime();
                    socket.send(new JsonObject().put("op", "stop").put("run", answer.getString("run")));
                    // The stop waits for the first step: the layer's network compiled at its batch, then one step.
                    socket.next(e -> "done".equals(e.getString("type")), SLOW_S);
                    System.out.printf("hardening: gallery %s (%d filters): started after %d ms, stopped after %d ms more%n", tag,
                            layer.getInteger("channels"), (running - asked) / 1_000_000, (System.nanoTime() - running) / 1_000_000);
                    started++;
                }
                int classes = layers.getJsonObject(layers.size() - 1).getInteger("channels");
                socket.send(new JsonObject().put("op", "start").put("model", id).put("steps", 1).put("tag", id + "/classes")
                        .put("objective", new JsonObject().put("type", "class")
                                .put("filters", new JsonArray(IntStream.range(0, classes).boxed().toList()))));
                assertEquals("completed", socket.next("done").getString("reason"), id + "'s class gallery runs");
            }
            assertTrue(started >= 20, "galleries of every spatial layer of the bundled models: " + started);
        }
    }
}
