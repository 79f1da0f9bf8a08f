package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The places waiting runs are told are the order they get places in, with fairness between clients and pausing:
 * two clients (127.0.0.1 and 127.0.0.2) on a worker with two places, long runs of the bundled fashion-cnn.
 */
class QueueOrderTest {
    private static FilterScopeServer server;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(Path.of("models")).withPort(0).withLimits(
                ServerConfig.Limits.DEFAULT.with(Limit.ACTIVE_RUNS, 2).with(Limit.RUNS_PER_CLIENT, 12)
                        .with(Limit.RUNS_PER_CONNECTION, 12)));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    /**
     * Client A holds both places with A2 and A3 waiting; B0 pauses A's latest run, A1, and B1 waits. B1 was told place
     * 4, behind A2 and A3, yet started before them when B0 ended, while A2 sat at place 1. Now B1 waits at place 2,
     * behind the paused A1 and ahead of A2 and A3, each place is told once, and a run starts only at place 1.
     */
    @Test
    void theRunAtPlaceOneIsTheNextToStart() throws Exception {
        try (Peer a = new Peer(vertx, "127.0.0.1"); Peer b = new Peer(vertx, "127.0.0.2");
             Peer.Socket sa = a.connect(server.port()); Peer.Socket sb = b.connect(server.port())) {
            Events events = new Events(sa, sb);
            for (int i = 0; i < 4; i++) {
                events.start(sa, "A" + i, i);
            }
            events.start(sb, "B0", 8);
            events.await(() -> events.told("A1").contains("queued 1"));
            events.start(sb, "B1", 9);
            // Places free one at a time: A0 ends (A1 resumes), B0 (B1 starts), B1 (A2), A1 (A3).
            for (String[] stopThenStart : new String[][]{{"A0", "A1"}, {"B0", "B1"}, {"B1", "A2"}, {"A1", "A3"}}) {
                events.stop(stopThenStart[0].startsWith("A") ? sa : sb, stopThenStart[0]);
                long startedBefore = events.told(stopThenStart[1]).stream().filter("started"::equals).count();
                events.await(() -> events.told(stopThenStart[1]).stream().filter("started"::equals).count() > startedBefore);
            }
            Thread.sleep(300); // places told after the last start
            events.poll();
            assertEquals(List.of("started", "queued 1", "started", "done"), events.told("A1"), "A1 paused, then resumed");
            assertEquals(List.of("queued 2", "queued 1", "started", "done"), events.told("B1"), "B1 behind A1, ahead of A2");
            assertEquals(List.of("queued 1", "queued 2", "queued 3", "queued 2", "queued 1", "started"), events.told("A2"));
            assertEquals(List.of("queued 2", "queued 3", "queued 4", "queued 3", "queued 2", "queued 1", "started"),
                    events.told("A3"));
            for (String run : List.of("A2", "A3")) {
                events.stop(sa, run);
            }
            events.await(() -> events.told("A3").contains("done"));
        }
    }

    /** The events of both clients' runs, each run's in the order its socket got them, as "queued P", "started", "done". */
    private static final class Events {
        private final List<Peer.Socket> sockets;
        private final Map<String, String> tags = new HashMap<>();
        private final Map<String, String> ids = new HashMap<>();
        private final Map<String, List<String>> told = new LinkedHashMap<>();

        Events(Peer.Socket... sockets) {
            this.sockets = List.of(sockets);
        }

        void start(Peer.Socket s, String tag, int filter) throws InterruptedException {
            told.put(tag, new ArrayList<>());
            s.send(Peer.start("fashion-cnn", "conv2", filter, 100_000, tag).put("pace", 20));
            await(() -> !told.get(tag).isEmpty());
        }

        void stop(Peer.Socket s, String tag) {
            s.send(new JsonObject().put("op", "stop").put("run", ids.get(tag)));
        }

        List<String> told(String tag) {
            return told.get(tag);
        }

        /** Reads events until {@code done} holds. */
        void await(BooleanSupplier done) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                poll();
                if (done.getAsBoolean()) {
                    return;
                }
            }
            throw new AssertionError("no such event within 60 s; told " + told);
        }

        /** Reads the events that came; every run that starts was told place 1 last. */
        void poll() throws InterruptedException {
            for (Peer.Socket s : sockets) {
                JsonObject e;
                while ((e = s.events.poll(10, TimeUnit.MILLISECONDS)) != null) {
                    if ("error".equals(e.getString("type"))) {
                        throw new AssertionError("error: " + e.encode());
                    }
                    String run = e.getString("run");
                    if (e.getString("tag") != null && run != null) {
                        tags.put(run, e.getString("tag"));
                        ids.put(e.getString("tag"), run);
                    }
                    String tag = tags.get(run);
                    String type = e.getString("type");
                    if (tag == null || !List.of("queued", "started", "done").contains(type)) {
                        continue;
                    }
                    List<String> mine = told.get(tag);
                    if ("started".equals(type) && !mine.isEmpty()) {
                        assertEquals("queued 1", mine.get(mine.size() - 1), tag + " starts from place 1; told " + told);
                    }
                    String event = "queued".equals(type) ? "queued " + e.getInteger("position") : type;
                    mine.add(event);
                }
            }
        }
    }
}
