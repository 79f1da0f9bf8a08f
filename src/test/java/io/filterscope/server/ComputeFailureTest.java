package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 1: the compute thread must survive what a run throws, out-of-memory errors included, and
 * /api/health must say 503 (so that Docker's HEALTHCHECK fails) when the worker cannot serve.
 */
class ComputeFailureTest {
    private static Vertx vertx;

    @BeforeAll
    static void clients() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void close() {
        vertx.close();
    }

    /**
     * A server whose JavaCPP budget is capped at 1.5 GB (as a container or GPU limit would cap it), with no
     * memory budget of its own in the way: a queued 256 px run of 16 images on conv4 (about 2.5 GB: a run's network
     * ends at its deepest layer, and fashion-cnn's conv1 alone, about 1.0 GB, no longer overflows the cap) runs out of
     * memory when it is promoted. That run fails with a message; the worker goes on answering and computing.
     */
    @Test
    void outOfMemoryWhilePromotingAQueuedRunFailsThatRunAndTheWorkerGoesOn(@TempDir Path work) throws Exception {
        try (ServerProcess server = ServerProcess.start(work,
                List.of("-Xmx512m", "-Dorg.bytedeco.javacpp.maxphysicalbytes=1500m"),
                List.of("--models", Path.of("models").toAbsolutePath().toString(), "--max-runs", "1", "--memory-budget", "16g",
                        "--no-warm-up"),
                Path.of("target", "hardening", "oom-server.log"));
             Peer peer = new Peer(vertx, "127.0.0.1");
             Peer.Socket socket = peer.connect(server.port)) {
            socket.send(Peer.start("fashion-cnn", "conv1", 0, 300, "small"));
            String small = socket.next("started").getString("run");
            JsonObject big = Peer.start("fashion-cnn", "conv4", 0, 50, "big").put("size", 256);
            big.getJsonObject("objective").remove("filter");
            big.getJsonObject("objective").put("filters", new JsonArray(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
            socket.send(big);
            String bigRun = socket.next("queued").getString("run");

            assertEquals("completed", socket.next(e -> "done".equals(e.getString("type")) && small.equals(e.getString("run")))
                    .getString("reason"));
            long promoted = System.nanoTime();
            JsonObject failed = socket.next(e -> "done".equals(e.getString("type")) && bigRun.equals(e.getString("run")));
            System.out.printf("hardening: queued 2.5 GB run under a 1.5 GB JavaCPP cap: done/failed %.1f s after promotion: %s%n",
                    (System.nanoTime() - promoted) / 1e9, failed.getString("message"));
            assertEquals("failed", failed.getString("reason"));
            assertTrue(failed.getString("message").contains("ran out of memory"), failed.encode());
            assertTrue(server.output().contains("out of memory in"), "the worker logs it");

            long asked = System.nanoTime();
            Peer.Response models = peer.get(server.port, "/api/models");
            assertEquals(200, models.status(), "the API still answers");
            Peer.Response health = peer.get(server.port, "/api/health");
            System.out.printf("hardening: after the out-of-memory error, /api/models and /api/health answered in %.0f ms: %s%n",
                    (System.nanoTime() - asked) / 1e6, health.json().getString("status"));
            assertEquals(200, health.status(), health.body().toString());
            assertEquals("ok", health.json().getString("status"));
            socket.send(new JsonObject().put("op", "list"));
            assertTrue(socket.next("runs").getJsonArray("runs").isEmpty());
            socket.send(Peer.start("fashion-cnn", "conv2", 3, 20, "after"));
            String after = socket.next("started").getString("run");
            assertEquals("completed", socket.next(e -> "done".equals(e.getString("type")) && after.equals(e.getString("run")))
                    .getString("reason"), "the next run computes");
        }
    }

    /**
     * A compute thread stuck in one piece of work (here a command that sleeps, standing for a native call that
     * never returns) longer than --wedged-after: /api/health answers 503 "wedged", the Dockerfile's
     * HEALTHCHECK command fails, and requests for the worker are refused at once instead of waiting for it.
     * Once the thread is free, all is well again.
     */
    @Test
    void aWedgedWorkerTurnsHealthTo503AndTheDockerHealthCheckFails(@TempDir Path models) throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.with(Limit.WEDGED_AFTER, 1)));
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            int port = server.port();
            assertEquals(200, peer.get(port, "/api/health").status());
            assertEquals(0, healthCheck(port), "the HEALTHCHECK passes on a healthy server");

            CompletableFuture<Object> stuck = server.workers().get(0).service().call(() -> {
                Thread.sleep(5000);
                return null;
            });
            Thread.sleep(1500);
            Peer.Response health = peer.get(port, "/api/health");
            assertEquals(503, health.status(), health.body().toString());
            assertEquals("wedged", health.json().getString("status"));
            JsonObject worker = health.json().getJsonArray("workers").getJsonObject(0);
            assertEquals("wedged", worker.getString("state"));
            assertTrue(worker.getString("detail").contains("busy with a command"), worker.encode());
            assertNotEquals(0, healthCheck(port), "the HEALTHCHECK fails");

            long asked = System.nanoTime();
            Peer.Response listing = peer.get(port, "/api/models");
            double ms = (System.nanoTime() - asked) / 1e6;
            System.out.printf("hardening: wedged worker: health 503 %s; /api/models refused %d in %.0f ms%n",
                    worker.getString("detail"), listing.status(), ms);
            assertEquals(503, listing.status());
            assertEquals("no_worker", listing.error());
            assertTrue(ms < 2000, "refused at once, not after the 120 s timeout: " + ms + " ms");

            stuck.get(10, TimeUnit.SECONDS);
            assertEquals(200, peer.get(port, "/api/health").status());
            assertEquals(0, healthCheck(port), "healthy again");
        } finally {
            server.closeAndWait();
        }
    }

    /**
     * The old loop returned on an interrupt, leaving a dead thread and a health of "ok": a stray interrupt
     * of the compute thread must change nothing.
     */
    @Test
    void aStrayInterruptDoesNotStopTheComputeThread(@TempDir Path models) throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(server.port())) {
            Thread compute = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("filterscope-compute-0")).findFirst().orElseThrow();
            for (int i = 0; i < 5; i++) {
                compute.interrupt();
                Thread.sleep(50);
            }
            assertTrue(compute.isAlive());
            socket.send(Peer.start("tiny", "conv2", 1, 30, "x"));
            String run = socket.next("started").getString("run");
            compute.interrupt();
            assertEquals("completed", socket.next(e -> "done".equals(e.getString("type")) && run.equals(e.getString("run")))
                    .getString("reason"));
            assertEquals("ok", peer.get(server.port(), "/api/health").json().getString("status"));
        } finally {
            server.closeAndWait();
        }
    }

    /** Runs the Dockerfile's HEALTHCHECK command against {@code port}; returns its exit status. */
    private static int healthCheck(int port) throws Exception {
        Matcher check = Pattern.compile("HEALTHCHECK[^\\n]*\\n\\s*CMD (.*)").matcher(Files.readString(Path.of("Dockerfile")));
        assertTrue(check.find(), "the Dockerfile has a HEALTHCHECK");
        String command = check.group(1).replace("127.0.0.1:8080", "127.0.0.1:" + port);
        ProcessBuilder sh = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true);
        sh.environment().remove("FILTERSCOPE_TOKEN");
        Process p = sh.start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return p.exitValue();
    }
}
