package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three JVMs on 127.0.0.1: this one is the front node (page, sockets, dispatch, no compute) and two
 * {@code worker --cluster} processes compute, all joined over Hazelcast with TCP-IP join. Every wait is
 * bounded.
 */
class ClusterTest {
    private static final Path LOGS = Path.of("target", "cluster-test");
    /** Every client here is 127.0.0.1 (and each health poll a new connection): no per-client shares. */
    private static final ServerConfig.Limits SHARED = ServerConfig.Limits.DEFAULT.withoutClientShares();
    private final List<Process> workers = new ArrayList<>();
    private FilterScopeServer front;

    @AfterEach
    void tearDown() throws Exception {
        workers.forEach(Process::destroyForcibly);
        if (front != null) {
            front.closeAndWait();
        }
    }

    @Test
    void runsSpreadOverWorkersADeadWorkersClientsAreToldAndARestartedWorkerTakesWorkAgain() throws Exception {
        Files.createDirectories(LOGS);
        int frontPort = freePort();
        int[] workerPorts = {freePort(), freePort()};
        List<String> members = List.of("127.0.0.1:" + frontPort, "127.0.0.1:" + workerPorts[0], "127.0.0.1:" + workerPorts[1]);

        long t0 = System.nanoTime();
        front = FilterScopeServer.startAndWait(ServerConfig.defaults(Path.of("models")).withPort(0).withLimits(SHARED),
                new FilterScopeServer.Roles(true, false, new ClusterOptions("127.0.0.1", frontPort, members)));
        assertEquals("no_workers", health().getString("status"), "a front without workers says so");
        for (int i = 0; i < 2; i++) {
            workers.add(startWorker(i, workerPorts[i], members));
        }
        JsonArray both = awaitHealth(h -> h.getJsonArray("workers").size() == 2, "both workers joined").getJsonArray("workers");
        System.out.printf("cluster: front and two workers ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        both.forEach(w -> assertTrue(((JsonObject) w).getJsonArray("models").contains("fashion-cnn")));

        try (TestClient client = TestClient.connect(front.port())) {
            long dispatch = System.nanoTime();
            String first = startLongRun(client, "a");
            System.out.printf("cluster: first run, start to \"started\" (model loads) in %.0f ms%n", (System.nanoTime() - dispatch) / 1e6);
            dispatch = System.nanoTime();
            String second = startLongRun(client, "b");
            System.out.printf("cluster: second run, start to \"started\" on the other worker in %.0f ms%n", (System.nanoTime() - dispatch) / 1e6);
            Map<String, Integer> spread = awaitRunsPerWorker(2);
            assertEquals(List.of(1, 1), List.copyOf(spread.values()), "two runs go to two workers: " + spread);

            String killedId = workerIdOf(0);
            workers.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            long killedAt = System.nanoTime();
            JsonObject done = client.nextEvent(e -> "done".equals(e.getString("type")));
            double detectS = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("cluster: clients of the killed worker told in %.1f s%n", detectS);
            assertEquals("failed", done.getString("reason"));
            assertTrue(done.getString("message").contains(killedId), done.getString("message"));
            assertTrue(List.of(first, second).contains(done.getString("run")));
            assertTrue(detectS < 5, "a dead worker's clients hear within 5 s, took " + detectS);
            awaitHealth(h -> h.getJsonArray("workers").size() == 1, "the dead worker leaves the list");

            long warm = System.nanoTime();
            client.send(runMessage(3, "after"));
            client.nextEvent(e -> "started".equals(e.getString("type")) && "after".equals(e.getString("tag")));
            System.out.printf("cluster: a run on a worker that has the model loaded, start to \"started\" in %.0f ms%n",
                    (System.nanoTime() - warm) / 1e6);
            JsonObject after = client.nextEvent(e -> "done".equals(e.getString("type")) && "after".equals(e.getString("tag"))
                    || "done".equals(e.getString("type")) && !List.of(first, second).contains(e.getString("run")));
            assertEquals("completed", after.getString("reason"), "the next run succeeds on the survivor");
            String survivors = done.getString("run").equals(first) ? second : first;

            // The survivor keeps its long run, so the restarted worker is the least loaded by a whole run and
            // seconds of heartbeats: a new run must go there.
            workers.set(0, startWorker(2, workerPorts[0], members));
            awaitHealth(h -> h.getJsonArray("workers").size() == 2, "the restarted worker rejoins");
            String c = startLongRun(client, "c");
            assertEquals(List.of(1, 1), List.copyOf(awaitRunsPerWorker(2).values()), "the restarted worker takes work; health " + health());
            client.send(new JsonObject().put("op", "stop").put("run", survivors));
            client.nextEvent(e -> "done".equals(e.getString("type")) && survivors.equals(e.getString("run")));

            // A second front node: its clients see every worker's runs and may watch one started elsewhere.
            FilterScopeServer otherFront = FilterScopeServer.startAndWait(
                    ServerConfig.defaults(Path.of("models")).withPort(0).withLimits(SHARED),
                    new FilterScopeServer.Roles(true, false, new ClusterOptions("127.0.0.1", freePort(), members)));
            try (TestClient watcher = TestClient.connect(otherFront.port())) {
                // A node that has just joined reaches each worker once the cluster has told that worker about it.
                long listDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                JsonArray listed;
                do {
                    Thread.sleep(200);
                    watcher.send(new JsonObject().put("op", "list"));
                    listed = watcher.nextEvent("runs").getJsonArray("runs");
                } while (listed.stream().noneMatch(r -> c.equals(((JsonObject) r).getString("run"))) && System.nanoTime() < listDeadline);
                assertTrue(listed.stream().anyMatch(r -> c.equals(((JsonObject) r).getString("run"))), listed.encode());
                watcher.send(new JsonObject().put("op", "watch").put("run", c));
                watcher.nextEvent("watching");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (watcher.frames(c).size() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(watcher.frames(c).size() >= 3, "frames of a run started through the other front arrive");
                watcher.send(new JsonObject().put("op", "stop").put("run", c));
                assertEquals("forbidden", watcher.nextEvent("error").getString("code"), "only its owner may stop it");
            } finally {
                otherFront.closeAndWait();
            }
            client.send(new JsonObject().put("op", "stop").put("run", c));
            assertEquals("stopped", client.nextEvent(e -> "done".equals(e.getString("type")) && c.equals(e.getString("run")))
                    .getString("reason"), "closing the other front left the run to its owner");
        }
    }

    /**
     * A front node in its own JVM, set up by FILTERSCOPE_* variables alone and guarded by a token, and a worker
     * with other models than this node's (which computes too): every front lists the models of both workers,
     * one entry per id. The front's JVM is killed while its client's run goes: the worker stops that run and
     * keeps the other front's. The worker is then stopped cleanly (SIGTERM): its clients hear "stopped", not
     * "failed", and it leaves the cluster at once.
     */
    @Test
    void modelsMergeAcrossWorkersAKilledFrontsRunsStopAndAStoppedWorkersRunsEndStopped(@TempDir Path mine, @TempDir Path theirs)
            throws Exception {
        Files.createDirectories(LOGS);
        io.filterscope.model.FixtureModels.writeLeNet(mine, "tiny-here");
        io.filterscope.model.FixtureModels.writeLeNet(mine, "shared");
        io.filterscope.model.FixtureModels.writeLeNet(theirs, "tiny-there");
        Files.write(theirs.resolve("shared.zip"), new byte[] {'n', 'o', 't', ' ', 'a', ' ', 'z', 'i', 'p'});
        int frontPort = freePort();
        int workerPort = freePort();
        int otherFrontPort = freePort();
        List<String> members = List.of("127.0.0.1:" + frontPort, "127.0.0.1:" + workerPort, "127.0.0.1:" + otherFrontPort);

        front = FilterScopeServer.startAndWait(ServerConfig.defaults(mine).withPort(0).withLimits(SHARED),
                new FilterScopeServer.Roles(true, true, new ClusterOptions("127.0.0.1", frontPort, members)));
        Process worker = startWorker(3, workerPort, members, theirs);
        workers.add(worker);
        String workerId = awaitLine("worker3", "worker (w-[0-9a-f]+) ready .*", worker).group(1);
        Process otherFront = start("front2", Map.of("FILTERSCOPE_CLUSTER", "1", "FILTERSCOPE_CLUSTER_HOST", "127.0.0.1",
                "FILTERSCOPE_CLUSTER_PORT", String.valueOf(otherFrontPort), "FILTERSCOPE_JOIN", String.join(",", members),
                "FILTERSCOPE_TOKEN", "front-token"), "serve", "--port", "0", "--no-compute", "--max-connections-per-client", "1000000");
        workers.add(otherFront);
        int otherPort = Integer.parseInt(awaitLine("front2", "listening on http://127\\.0\\.0\\.1:(\\d+)", otherFront).group(1));
        awaitHealth(h -> h.getJsonArray("workers").size() == 2, "both workers known");

        JsonArray merged = new JsonArray(TestClient.get(front.port(), "/api/models", null).body());
        assertEquals(List.of("shared", "tiny-here", "tiny-there"), merged.stream().map(m -> ((JsonObject) m).getString("id")).toList());
        assertTrue(merged.stream().allMatch(m -> ((JsonObject) m).getBoolean("available")),
                "a model one worker cannot load is offered by the one that can: " + merged);
        assertEquals(401, TestClient.get(otherPort, "/api/models", null).statusCode(), "the other front took FILTERSCOPE_TOKEN");
        // The second front hears of both workers through the cluster; on a loaded 2-core machine (a full verify) one was
        // still unknown there after 30 s once, Hazelcast having failed to connect to a member at first.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        JsonArray seenThere;
        do {
            seenThere = new JsonArray(TestClient.get(otherPort, "/api/models", "front-token").body());
        } while (seenThere.size() < 3 && System.nanoTime() < deadline && sleep(200));
        assertEquals(merged, seenThere, "every front lists the same models");

        try (TestClient here = TestClient.connect(front.port());
             TestClient there = TestClient.connectWith(URI.create("ws://127.0.0.1:" + otherPort + "/ws"),
                     Map.of("Authorization", "Bearer front-token"))) {
            String mineRun = startLongRun(here, "tiny-there", "here");
            String theirRun = startLongRun(there, "tiny-there", "there");
            awaitHealth(h -> runsOf(h, workerId) == 2, "both runs on the worker that has tiny-there");

            otherFront.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            long killedAt = System.nanoTime();
            awaitHealth(h -> runsOf(h, workerId) == 1, "the killed front's run stops");
            double stoppedS = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("cluster: the run of a killed front stopped %.1f s after the kill%n", stoppedS);
            assertTrue(stoppedS < 10, "a dead front's runs stop within seconds, took " + stoppedS);
            here.send(new JsonObject().put("op", "list"));
            List<String> left = here.nextEvent("runs").getJsonArray("runs").stream().map(r -> ((JsonObject) r).getString("run")).toList();
            assertEquals(List.of(mineRun), left, "the other front's run " + theirRun + " is gone, this one goes on");
            here.awaitStep(mineRun, here.latestStep(mineRun) + 5);

            worker.destroy();
            long stoppedAt = System.nanoTime();
            JsonObject done = here.nextEvent(e -> "done".equals(e.getString("type")) && mineRun.equals(e.getString("run")));
            assertEquals("stopped", done.getString("reason"), "a worker that shuts down cleanly stops its runs: " + done);
            awaitHealth(h -> h.getJsonArray("workers").size() == 1, "the stopped worker leaves");
            double leftS = (System.nanoTime() - stoppedAt) / 1e9;
            System.out.printf("cluster: a worker stopped with SIGTERM told its client and left in %.1f s%n", leftS);
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS), "the worker's JVM ends");
        }
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    private static int runsOf(JsonObject health, String worker) {
        return health.getJsonArray("workers").stream().map(JsonObject.class::cast).filter(w -> worker.equals(w.getString("id")))
                .mapToInt(w -> w.getInteger("runsActive")).sum();
    }

    private static String startLongRun(TestClient client, String model, String tag) throws InterruptedException {
        client.send(runMessage(100_000, tag).put("model", model));
        return client.nextEvent(e -> "started".equals(e.getString("type")) && tag.equals(e.getString("tag"))).getString("run");
    }

    private static JsonObject runMessage(int steps, String tag) {
        return new JsonObject().put("op", "start").put("model", "fashion-cnn")
                .put("objective", new JsonObject().put("type", "channel").put("layer", "conv1").put("filter", 1))
                .put("steps", steps).put("tag", tag);
    }

    private static String startLongRun(TestClient client, String tag) throws InterruptedException {
        client.send(runMessage(100_000, tag));
        return client.nextEvent(e -> "started".equals(e.getString("type")) && tag.equals(e.getString("tag"))).getString("run");
    }

    private Process startWorker(int n, int port, List<String> members) throws IOException {
        return startWorker(n, port, members, Path.of("models"));
    }

    private Process startWorker(int n, int port, List<String> members, Path models) throws IOException {
        return start("worker" + n, Map.of(), "worker", "--cluster", "--cluster-host", "127.0.0.1",
                "--cluster-port", String.valueOf(port), "--join", String.join(",", members), "--models", models.toString(),
                "--no-warm-up");
    }

    /** {@code filterscope ARGS} in a JVM of its own, with {@code env} added, its output in target/cluster-test/LOG.log. */
    private static Process start(String log, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        command.addAll(List.of(System.getProperty("hazelcast.opens", "").split(" ")));
        command.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                "io.filterscope.cli.Main"));
        command.addAll(List.of(args));
        command.removeIf(String::isEmpty);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(LOGS.resolve(log + ".log").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("FILTERSCOPE_"));
        builder.environment().putAll(env);
        return builder.start();
    }

    /** Waits (at most 90 s) until the process has printed a line matching {@code pattern} to its log; returns the match. */
    private static java.util.regex.Matcher awaitLine(String log, String pattern, Process process) throws Exception {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(pattern);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            assertTrue(process.isAlive(), log + " ended: " + Files.readString(LOGS.resolve(log + ".log")));
            for (String line : Files.readAllLines(LOGS.resolve(log + ".log"))) {
                java.util.regex.Matcher m = p.matcher(line);
                if (m.matches()) {
                    return m;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError(log + " never printed " + pattern + ": " + Files.readString(LOGS.resolve(log + ".log")));
    }

    /** The id worker {@code n} printed when it was ready ("worker w-... ready"). */
    private static String workerIdOf(int n) throws IOException {
        String log = Files.readString(LOGS.resolve("worker" + n + ".log"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("worker (w-[0-9a-f]+) ready").matcher(log);
        assertTrue(m.find(), "worker " + n + " printed its id: " + log);
        return m.group(1);
    }

    private static List<String> ids(JsonObject health) {
        return health.getJsonArray("workers").stream().map(w -> ((JsonObject) w).getString("id")).toList();
    }

    private Map<String, Integer> awaitRunsPerWorker(int total) throws Exception {
        JsonObject h = awaitHealth(x -> x.getInteger("runsActive") == total, total + " runs active");
        return h.getJsonArray("workers").stream().map(JsonObject.class::cast)
                .collect(Collectors.toMap(w -> w.getString("id"), w -> w.getInteger("runsActive"), (a, b) -> a, java.util.TreeMap::new));
    }

    private JsonObject awaitHealth(Predicate<JsonObject> wanted, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        JsonObject h = health();
        while (!wanted.test(h)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 90 s: " + what + "; health " + h + "; worker logs in " + LOGS);
            }
            Thread.sleep(200);
            h = health();
        }
        return h;
    }

    private JsonObject health() throws Exception {
        return new JsonObject(TestClient.get(front.port(), "/api/health", null).body());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
