package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 1, through the server: runs of the bundled fashion-cnn that are going at once step together in
 * one minibatch (those of one size and layer; the others in batches of their own), joining as their starts
 * arrive and leaving as they end or are stopped, and each ends with exactly the values it gets running alone.
 */
class BatchedRunsTest {
    private static final int RUNS = 8;
    private static FilterScopeServer server;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(Path.of("models")).withPort(0).withLimits(
                ServerConfig.Limits.DEFAULT.with(Limit.ACTIVE_RUNS, RUNS).with(Limit.RUNS_PER_CLIENT, RUNS)));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    /**
     * Run i: conv4's filter i with seed i; two of them at another size, one with another preset and pace. Run 1, which is
     * stopped once all have started, has steps enough to be running then (the others step while a start's network is
     * compiled).
     */
    private static JsonObject run(int i) {
        JsonObject start = Peer.start("fashion-cnn", "conv4", i, i == 1 ? 100_000 : 40, "run" + i).put("seed", i);
        if (i == 3) {
            start.put("preset", "plain").put("pace", 400);
        }
        if (i >= RUNS - 2) {
            start.put("size", 32);
        }
        return start;
    }

    @Test
    void runsGoingAtOnceEndAsTheyDoAloneAndStoppingOneLeavesTheOthersAlone() throws Exception {
        Map<String, JsonObject> together = new LinkedHashMap<>();
        String stopped = "run1";
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(server.port())) {
            Map<String, String> runOfTag = new LinkedHashMap<>();
            for (int i = 0; i < RUNS; i++) {
                socket.send(run(i));
                JsonObject started = socket.next("started");
                runOfTag.put(started.getString("tag"), started.getString("run"));
            }
            socket.send(new JsonObject().put("op", "stop").put("run", runOfTag.get(stopped)));
            for (int i = 0; i < RUNS; i++) {
                JsonObject done = socket.next("done");
                runOfTag.forEach((tag, run) -> {
                    if (run.equals(done.getString("run"))) {
                        together.put(tag, done);
                    }
                });
            }
            assertEquals("stopped", together.get(stopped).getString("reason"));
            List<String> compared = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                String tag = "run" + i;
                if (tag.equals(stopped)) {
                    continue;
                }
                socket.send(run(i));
                JsonObject alone = socket.next("done");
                assertEquals("completed", together.get(tag).getString("reason"), tag);
                assertEquals(alone.getJsonArray("losses"), together.get(tag).getJsonArray("losses"),
                        tag + " batched with the others ends as it does alone");
                compared.add(tag);
            }
            System.out.printf("batching: %d runs of fashion-cnn going at once (one stopped at once) ended with the values "
                    + "they get alone, bit for bit: %s%n", compared.size(), compared);
        }
    }
}
