package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, item 6: one client (one IP address; here 127.0.0.1 against 127.0.0.2 and up) must not take every
 * socket, every run slot, or the compute thread with HTTP queries. Uses the bundled fashion-cnn and its 2,000
 * example images.
 */
class ClientSharesTest {
    private static FilterScopeServer server;
    private static Vertx vertx;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(Path.of("models")).withPort(0));
        port = server.port();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    /** 256 sockets of one client locked everyone out; now it gets its 16 and others still connect. */
    @Test
    void oneClientCannotTakeEverySocket() throws Exception {
        List<Peer.Socket> mine = new ArrayList<>();
        try (Peer greedy = new Peer(vertx, "127.0.0.1"); Peer other = new Peer(vertx, "127.0.0.2")) {
            int refused = 0;
            for (int i = 0; i < 256; i++) {
                try {
                    mine.add(greedy.connect(port));
                } catch (Exception e) {
                    refused++;
                }
            }
            System.out.printf("hardening: one client asked for 256 sockets: %d opened, %d refused%n", mine.size(), refused);
            assertEquals(Limit.SOCKETS_PER_CLIENT.defaultValue, mine.size());
            try (Peer.Socket s = other.connect(port)) {
                s.send(new JsonObject().put("op", "list"));
                s.next("runs");
            }
        } finally {
            mine.forEach(Peer.Socket::close);
        }
    }

    /**
     * 5 connections x 8 runs filled every run slot. Now one client holds at most --max-runs-per-client runs,
     * and when another client's run waits while it holds all the places, one of its runs is paused for it.
     */
    @Test
    void oneClientCannotFillEveryRunSlot() throws Exception {
        List<Peer.Socket> sockets = new ArrayList<>();
        try (Peer greedy = new Peer(vertx, "127.0.0.1"); Peer other = new Peer(vertx, "127.0.0.2")) {
            int started = 0;
            int refused = 0;
            for (int c = 0; c < 5; c++) {
                Peer.Socket s = greedy.connect(port);
                sockets.add(s);
                for (int r = 0; r < 8; r++) {
                    s.send(Peer.start("fashion-cnn", "conv1", r, 100_000, c + "/" + r));
                    JsonObject answer = s.next(e -> "started".equals(e.getString("type")) || "queued".equals(e.getString("type"))
                            || "error".equals(e.getString("type")));
                    if ("error".equals(answer.getString("type"))) {
                        assertEquals("too_many_runs", answer.getString("code"));
                        refused++;
                    } else {
                        started++;
                    }
                }
            }
            assertEquals(Limit.RUNS_PER_CLIENT.defaultValue, started, "one client's share of runs");
            sockets.get(1).send(Peer.start("fashion-cnn", "conv1", 0, 100_000, "huge").put("size", 100_000));
            JsonObject bounds = sockets.get(1).next("error");
            assertEquals("\"size\" must be a whole number from 8 to 512, got 100000", bounds.getString("message"),
                    "a start out of bounds says so, not too_many_runs: " + bounds.encode());
            try (Peer.Socket mineToo = other.connect(port)) {
                long asked = System.nanoTime();
                mineToo.send(Peer.start("fashion-cnn", "conv2", 0, 100_000, "other"));
                JsonObject answer = mineToo.next(e -> !"preparing".equals(e.getString("type")));
                double ms = (System.nanoTime() - asked) / 1e6;
                System.out.printf("hardening: one client tried 5 x 8 runs: %d accepted, %d refused; another client's run: %s in %.0f ms%n",
                        started, refused, answer.getString("type"), ms);
                assertEquals("started", answer.getString("type"), "the other client's run starts at once: " + answer.encode());
                // All four went through the first connection; the latest of them gave its place.
                JsonObject paused = sockets.get(0).next("queued");
                assertEquals("0/3", paused.getString("tag"), "the greedy client's latest run was paused and told so: " + paused);
                mineToo.send(new JsonObject().put("op", "stop").put("run", answer.getString("run")));
                mineToo.next("done");
            }
        } finally {
            sockets.forEach(Peer.Socket::close);
        }
        Thread.sleep(500);
    }

    /**
     * 4 loops on /examples?n=100 dropped every run to 0 steps/s: queries always went before steps. Now queries
     * share the compute thread fairly with the runs: from four clients (so the per-client rate limit is not
     * what holds them back), a run keeps a fair share of its pace and the queries are still answered.
     */
    @Test
    void httpQueriesCannotStarveRuns() throws Exception {
        try (Peer runner = new Peer(vertx, "127.0.0.10"); Peer.Socket socket = runner.connect(port)) {
            assertEquals(200, runner.get(port, "/api/models/fashion-cnn/examples?layer=conv4&filter=1&n=100").status());
            socket.send(Peer.start("fashion-cnn", "conv4", 5, 100_000, "run"));
            String run = socket.next("started").getString("run");
            double alone = rate(socket, 3000);
            AtomicBoolean going = new AtomicBoolean(true);
            AtomicInteger answered = new AtomicInteger();
            List<Thread> loops = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Peer asker = new Peer(vertx, "127.0.0." + (20 + i));
                Thread loop = new Thread(() -> {
                    try (asker) {
                        while (going.get()) {
                            if (asker.get(port, "/api/models/fashion-cnn/examples?layer=conv4&filter=1&n=100").status() == 200) {
                                answered.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                loop.start();
                loops.add(loop);
            }
            Thread.sleep(500);
            int before = answered.get();
            double during = rate(socket, 3000);
            int queries = answered.get() - before;
            going.set(false);
            for (Thread t : loops) {
                t.join(30_000);
            }
            System.out.printf("hardening: run alone %.0f steps/s; with 4 clients looping on examples?n=100: %.0f steps/s (%.0f%%), "
                    + "%d queries answered in 3 s%n", alone, during, 100 * during / alone, queries);
            assertTrue(during > 0.3 * alone, "the run keeps a fair share of its pace: " + alone + " -> " + during);
            assertTrue(queries > 0, "queries are answered too");
            socket.send(new JsonObject().put("op", "stop").put("run", run));
            socket.next("done");
        }
    }

    @Test
    void oneClientsApiRequestsAreRateLimited() throws Exception {
        try (Peer greedy = new Peer(vertx, "127.0.0.30")) {
            int limited = 0;
            int ok = 0;
            for (int i = 0; i < 150; i++) {
                Peer.Response r = greedy.get(port, "/api/models");
                if (r.status() == 429) {
                    assertEquals("rate_limited", r.error());
                    assertEquals("1", r.headers().get("Retry-After"));
                    limited++;
                } else {
                    ok++;
                }
            }
            System.out.printf("hardening: 150 quick API requests from one client: %d answered, %d rate limited%n", ok, limited);
            assertTrue(limited > 0 && ok >= 5 * Limit.REQUESTS_PER_SECOND.defaultValue, ok + " answered, " + limited + " limited");
            assertEquals(200, greedy.get(port, "/api/health").status(), "health is never rate limited");
        }
        try (Peer other = new Peer(vertx, "127.0.0.31")) {
            assertEquals(200, other.get(port, "/api/models").status(), "other clients are not affected");
        }
    }

    private static double rate(Peer.Socket socket, long ms) throws InterruptedException {
        int before = socket.frames.get();
        long t = System.nanoTime();
        Thread.sleep(ms);
        return (socket.frames.get() - before) / ((System.nanoTime() - t) / 1e9);
    }
}
