package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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

    private static String hostileMessage(Random rng, String run, String tag) {
        JsonObject valid = new JsonObject().put("op", List.of("start", "stop", "update", "watch", "unwatch", "list").get(rng.nextInt(6)))
                .put("model", "tiny").put("run", run).put("tag", tag)
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
        Set<String> queuedRuns = new HashSet<>();
        Set<String> racedStops = new HashSet<>();
        try (TestClient client = TestClient.connect(port)) {
            String run = "none";
            for (int i = 0; i < 1000; i++) {
                String tag = "m" + i;
                String message = hostileMessage(rng, run, tag);
                client.sendRaw(message);
                JsonObject answer = answerTo(client, tag, message, queuedRuns, racedStops);
                if ("error".equals(answer.getString("type"))) {
                    errors++;
                    assertTrue(answer.getString("code").matches("[a-z_]+") && !answer.getString("message").isBlank(), answer.encode());
                    assertTrue(!answer.getString("message").contains("Exception") && !answer.getString("message").contains("\tat "),
                            answer.encode());
                } else if ("started".equals(answer.getString("type")) || "queued".equals(answer.getString("type"))) {
                    run = answer.getString("run");
                }
            }
            // Nothing may still be owed: the next answer is the one to this last message.
            client.sendRaw(new JsonObject().put("op", "dance").put("tag", "last").encode());
            JsonObject last = answerTo(client, "last", "", queuedRuns, racedStops);
            assertEquals("last", last.getString("tag"), "an answer left over from an earlier message: " + last.encode());
        }
        assertTrue(errors > 500, "most hostile messages are errors: " + errors);
        assertEquals("ok", new JsonObject(TestClient.get(port, "/api/health", null).body()).getString("status"));
    }

    /**
     * The one answer to the message tagged {@code tag}, failing on any answer that belongs to an earlier
     * message (a second answer to it). Answers carry the tag of the message when it could be read;
     * "runs", "watching", "unwatched" and "updated" carry none, and a stop that works is answered by its
     * run's "done". A run's own events are not answers: its "done" when it completes, its "preparing" (its model
     * read or its network compiled before it can start), and its "started" and "queued" once it has been queued. A stop sent as its run completes on its own may get that "done" and
     * then not_found (the run was gone when the stop arrived); that not_found is not a second answer.
     */
    private static JsonObject answerTo(TestClient client, String tag, String message, Set<String> queuedRuns, Set<String> racedStops)
            throws Exception {
        String stopping = null;
        if (message.contains("\"op\":\"stop\"")) {
            try {
                stopping = new JsonObject(message).getValue("run") instanceof String r ? r : null;
            } catch (RuntimeException notJson) {
                // a truncated stop: answered by an error
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!(client.received.poll(100, TimeUnit.MILLISECONDS) instanceof JsonObject event)) {
                continue;
            }
            String type = event.getString("type");
            Object eventTag = event.getValue("tag");
            if ("done".equals(type)) {
                if (event.getString("run").equals(stopping)) {
                    if (!"stopped".equals(event.getString("reason"))) {
                        // The run ended on its own as the stop went out: the stop may still be told not_found.
                        racedStops.add(tag);
                    }
                    return event;
                }
                continue;
            }
            if ("not_found".equals(event.getString("code")) && eventTag != null && racedStops.remove(eventTag)) {
                continue;
            }
            if (("started".equals(type) || "queued".equals(type)) && queuedRuns.contains(event.getString("run")) || "preparing".equals(type)) {
                continue;
            }
            if (!ANSWERS.contains(type)) {
                throw new AssertionError("unexpected event " + event.encode() + " while waiting for the answer to " + tag);
            }
            if (eventTag != null && !tag.equals(eventTag)) {
                throw new AssertionError("a second answer to message " + eventTag + ": " + event.encode());
            }
            if ("queued".equals(type)) {
                queuedRuns.add(event.getString("run"));
            }
            return event;
        }
        throw new AssertionError("no answer to message " + tag + ": " + message.substring(0, Math.min(300, message.length())));
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
