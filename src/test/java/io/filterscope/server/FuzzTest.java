package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input, generated from a fixed seed: every WebSocket message gets exactly one answer (a typed
 * error, or the normal answer when the mutation happens to be valid), every HTTP request a JSON answer that
 * is never a 500, and the server stays up. Bounded: 1,000 of each.
 */
class FuzzTest {
    private static final Set<String> ANSWERS = Set.of("error", "started", "queued", "runs", "updated", "watching", "unwatched");
    @TempDir
    static Path models;
    static FilterScopeServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        // No message-rate limit here: every hostile message should reach the protocol code.
        ServerConfig config = ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.withConnections(1000, 16, 1_000_000).withoutClientShares());
        server = FilterScopeServer.startAndWait(config);
        port = server.port();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    private static final Object[] ODD_VALUES = {null, -1, 0, 1, 3, 1e308, -1e308, Long.MAX_VALUE, "", "conv1", "x".repeat(500),
        true, new JsonArray(), new JsonArray(List.of(1, "a")), new JsonObject(), new JsonObject().put("type", "channel"),
        Double.MIN_VALUE, 2.5, "NaN", "\u0000\u202e"};

    private static Object oddValue(Random rng) {
        Object v = ODD_VALUES[rng.nextInt(ODD_VALUES.length)];
        return v instanceof JsonObject o ? o.copy() : v instanceof JsonArray a ? a.copy() : v;
    }

    private static String hostileMessage(Random rng, String run) {
        JsonObject valid = new JsonObject().put("op", List.of("start", "stop", "update", "watch", "unwatch", "list").get(rng.nextInt(6)))
                .put("model", "tiny").put("run", run)
                .put("objective", new JsonObject().put("type", "channel").put("layer", "conv1").put("filter", 1))
                .put("steps", 2).put("params", new JsonObject().put("blurSigma", 0.5));
        switch (rng.nextInt(6)) {
            case 0 -> {
                String[] fields = {"op", "model", "run", "objective", "steps", "params", "size", "seed"};
                valid.put(fields[rng.nextInt(fields.length)], oddValue(rng));
            }
            case 1 -> {
                JsonObject objective = valid.getJsonObject("objective");
                String[] fields = {"type", "layer", "filter", "filters", "x", "y", "index", "terms"};
                objective.put(fields[rng.nextInt(fields.length)], oddValue(rng));
            }
            case 2 -> {
                String[] params = {"lr", "blurSigma", "l2Decay", "scale", "parameterization", "optimizer", "jitter", "nope"};
                valid.getJsonObject("params").put(params[rng.nextInt(params.length)], oddValue(rng));
            }
            case 3 -> {
                String text = valid.encode();
                return text.substring(0, rng.nextInt(text.length()));
            }
            case 4 -> {
                byte[] junk = new byte[1 + rng.nextInt(200)];
                rng.nextBytes(junk);
                return new String(junk, java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            default -> {
                return "[".repeat(rng.nextInt(2000)) + "]".repeat(rng.nextInt(2000));
            }
        }
        return valid.encode();
    }

    @Test
    void hostileWebSocketMessagesEachGetOneTypedAnswerAndTheServerStaysUp() throws Exception {
        Random rng = new Random(1234);
        int errors = 0;
        try (TestClient client = TestClient.connect(port)) {
            String run = "none";
            for (int i = 0; i < 1000; i++) {
                String message = hostileMessage(rng, run);
                client.sendRaw(message);
                JsonObject answer;
                try {
                    // A stop that works is answered by the run's "done".
                    boolean stop = message.contains("\"op\":\"stop\"");
                    answer = client.nextEvent(e -> ANSWERS.contains(e.getString("type")) || stop && "done".equals(e.getString("type")));
                } catch (AssertionError e) {
                    throw new AssertionError("no answer to message " + i + ": " + message.substring(0, Math.min(300, message.length())), e);
                }
                if ("error".equals(answer.getString("type"))) {
                    errors++;
                    assertTrue(answer.getString("code").matches("[a-z_]+") && !answer.getString("message").isBlank(), answer.encode());
                    assertTrue(!answer.getString("message").contains("Exception") && !answer.getString("message").contains("\tat "),
                            answer.encode());
                } else if ("started".equals(answer.getString("type"))) {
                    run = answer.getString("run");
                }
            }
            client.send(new JsonObject().put("op", "list"));
            client.nextEvent("runs");
        }
        assertTrue(errors > 500, "most hostile messages are errors: " + errors);
        assertEquals("ok", new JsonObject(TestClient.get(port, "/api/health", null).body()).getString("status"));
    }

    @Test
    void hostileHttpRequestsNeverGet500() throws Exception {
        Random rng = new Random(99);
        String[] paths = {"/api/models/%s", "/api/models/tiny/examples?layer=%s&filter=%s&n=%s", "/api/%s",
            "/api/models/%s/examples", "/api/models/tiny/examples?layer=conv1&filter=%s"};
        String[] pieces = {"tiny", "../../etc/passwd", "%00", "-1", "999999999999", "conv1", "output", "", "x".repeat(300),
            "1e9", "NaN", "0", "%25zz", "a%20b"};
        for (int i = 0; i < 1000; i++) {
            String path = String.format(paths[rng.nextInt(paths.length)], pieces[rng.nextInt(pieces.length)],
                    pieces[rng.nextInt(pieces.length)], pieces[rng.nextInt(pieces.length)]);
            HttpResponse<String> r = TestClient.get(port, path, null);
            assertTrue(r.statusCode() < 500, path + " -> " + r.statusCode() + " " + r.body());
            assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"),
                    path + " -> " + r.statusCode() + " " + r.body());
            if (r.statusCode() >= 400) {
                assertTrue(new JsonObject(r.body()).getJsonObject("error").getString("message").length() > 0, path);
            }
        }
        for (int i = 0; i < 50; i++) {
            byte[] junk = new byte[rng.nextInt(5000)];
            rng.nextBytes(junk);
            int status = TestClient.upload(port, "/api/models/tiny/activations?layer=conv1", "image", junk).statusCode();
            assertTrue(status == 415 || status == 400, "junk upload -> " + status);
        }
        assertEquals("ok", new JsonObject(TestClient.get(port, "/api/health", null).body()).getString("status"));
    }
}
