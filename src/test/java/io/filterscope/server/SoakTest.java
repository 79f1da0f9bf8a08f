package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's soak, opt-in (it takes ten minutes): {@code mvn test -Dtest=SoakTest -Dfilterscope.soak=true}
 * ({@code -Dfilterscope.soak.minutes=N} to change its length). A server in its own JVM (so that its resident
 * memory is its own) on the bundled models, and 30 clients, each at a loopback address of its own: runners
 * that start one run after another, uploaders, clients looping on the example images, watchers, and hostile
 * clients sending everything the hardening refuses. It checks that every run gets its "done", that no run's
 * pace falls below 30% of the pace the same run has alone, and that resident memory after warm-up stays
 * within 10%. Figures go to stdout and target/hardening/soak.json.
 */
class SoakTest {
    private static final int CLIENTS = 30;
    /** The server's flags: two places, so that with queries taking a third share each run keeps a third of the device. */
    private static final List<String> FLAGS = List.of("--max-runs", "2");

    /** A kind of run the runners start, and what it takes alone. */
    private record Spec(String name, JsonObject start) {
    }

    private static final List<Spec> SPECS = List.of(
            new Spec("fashion conv2 28px", Peer.start("fashion-cnn", "conv2", 3, 400, null)),
            new Spec("mnist conv4 28px x8", batch("mnist-cnn", "conv4", 8, 150)),
            new Spec("fashion conv3 64px", Peer.start("fashion-cnn", "conv3", 7, 150, null).put("size", 64)));

    private static JsonObject batch(String model, String layer, int images, int steps) {
        JsonArray filters = new JsonArray();
        for (int i = 0; i < images; i++) {
            filters.add(i);
        }
        return new JsonObject().put("op", "start").put("model", model).put("steps", steps)
                .put("objective", new JsonObject().put("type", "channel").put("layer", layer).put("filters", filters));
    }

    /** One finished run as a runner saw it. */
    private record RunRecord(String spec, String reason, int steps, double seconds, double ratio) {
    }

    private final Map<String, Double> solo = new ConcurrentHashMap<>();
    private final List<RunRecord> runs = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger missingDone = new AtomicInteger();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private volatile boolean going = true;

    @Test
    void thirtyClientsForTenMinutes(@TempDir Path work) throws Exception {
        assumeTrue(Boolean.getBoolean("filterscope.soak"), "opt-in: -Dfilterscope.soak=true");
        double minutes = Double.parseDouble(System.getProperty("filterscope.soak.minutes", "10"));
        List<String> flags = new ArrayList<>(FLAGS);
        flags.addAll(List.of("--models", Path.of("models").toAbsolutePath().toString()));
        Vertx vertx = Vertx.vertx();
        try (ServerProcess server = ServerProcess.start(work, List.of("-Xmx1g"), flags, Path.of("target", "hardening", "soak-server.log"))) {
            measureSolo(vertx, server.port);
            System.out.printf("soak: solo steps/s %s%n", solo);
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                Thread t = new Thread(() -> client(vertx, server.port, n), "soak-client-" + n);
                t.start();
                clients.add(t);
            }
            long start = System.nanoTime();
            long end = start + (long) (minutes * 60e9);
            long warmUp = start + (long) (minutes * 60e9 / 5);
            List<long[]> rss = new ArrayList<>();
            while (System.nanoTime() < end) {
                Thread.sleep(10_000);
                long now = System.nanoTime();
                rss.add(new long[] {(now - start) / 1_000_000_000, server.residentBytes(), now > warmUp ? 1 : 0});
                System.out.printf("soak: %4d s rss %4d MB, %d runs done, counts %s%n", (now - start) / 1_000_000_000,
                        server.residentBytes() >> 20, runs.size(), counts);
            }
            going = false;
            for (Thread t : clients) {
                t.join(TimeUnit.MINUTES.toMillis(6));
            }
            report(rss, minutes);
        } finally {
            vertx.close();
        }
    }

    private void report(List<long[]> rss, double minutes) throws IOException {
        List<long[]> settled = rss.stream().filter(r -> r[2] == 1).toList();
        long first = settled.get(0)[1];
        long most = settled.stream().mapToLong(r -> r[1]).max().orElseThrow();
        long least = settled.stream().mapToLong(r -> r[1]).min().orElseThrow();
        long last = settled.get(settled.size() - 1)[1];
        List<RunRecord> completed = runs.stream().filter(r -> "completed".equals(r.reason())).toList();
        double worst = completed.stream().mapToDouble(RunRecord::ratio).min().orElse(0);
        double median = completed.stream().mapToDouble(RunRecord::ratio).sorted().skip(completed.size() / 2).findFirst().orElse(0);
        System.out.printf("soak: %.0f min, %d clients: %d runs (%d completed, others %s), %d without done; pace vs solo: worst %.0f%%, "
                        + "median %.0f%%; resident after warm-up %d MB first, %d-%d MB, %d MB last (%+.1f%%); client actions %s%n",
                minutes, CLIENTS, runs.size(), completed.size(),
                runs.stream().filter(r -> !"completed".equals(r.reason())).map(RunRecord::reason).toList(), missingDone.get(),
                100 * worst, 100 * median, first >> 20, least >> 20, most >> 20, last >> 20, 100.0 * (most - least) / least, counts);
        JsonObject summary = new JsonObject().put("minutes", minutes).put("clients", CLIENTS).put("flags", new JsonArray(FLAGS))
                .put("solo", new JsonObject(new java.util.HashMap<>(solo))).put("runs", runs.size()).put("completed", completed.size())
                .put("missingDone", missingDone.get()).put("worstRatio", worst).put("medianRatio", median)
                .put("rssFirstMB", first >> 20).put("rssMinMB", least >> 20).put("rssMaxMB", most >> 20).put("rssLastMB", last >> 20)
                .put("rss", new JsonArray(rss.stream().map(r -> new JsonArray(List.of(r[0], r[1] >> 20))).toList()))
                .put("counts", new JsonObject(new java.util.HashMap<>(counts)));
        Files.writeString(Path.of("target", "hardening", "soak.json"), summary.encodePrettily());
        assertEquals(0, missingDone.get(), "every run gets its done");
        assertTrue(completed.size() > 0);
        assertTrue(worst >= 0.3, "no run below 30% of its solo pace; worst " + worst);
        assertTrue(most <= least * 1.1, "resident memory flat within 10% after warm-up: " + least + ".." + most);
    }

    /** Each spec once to warm up, then timed alone. */
    private void measureSolo(Vertx vertx, int port) throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.99"); Peer.Socket socket = peer.connect(port)) {
            for (Spec spec : SPECS) {
                time(socket, spec);
                solo.put(spec.name(), spec.start().getInteger("steps") / time(socket, spec)[1]);
            }
        }
    }

    /** Starts a run of {@code spec} and waits for its end; returns {steps, seconds from started to done}, or null. */
    private double[] time(Peer.Socket socket, Spec spec) throws InterruptedException {
        socket.send(spec.start().copy().put("tag", spec.name()));
        JsonObject first = socket.next(e -> spec.name().equals(e.getString("tag")) && !"queued".equals(e.getString("type")));
        if (!"started".equals(first.getString("type"))) {
            count("run refused " + first.getString("code"));
            return null;
        }
        long started = System.nanoTime();
        String run = first.getString("run");
        JsonObject done = socket.next(e -> "done".equals(e.getString("type")) && run.equals(e.getString("run")));
        double seconds = (System.nanoTime() - started) / 1e9;
        double[] result = {done.getInteger("steps"), seconds};
        if (solo.containsKey(spec.name())) {
            runs.add(new RunRecord(spec.name(), done.getString("reason"), done.getInteger("steps"), seconds,
                    done.getInteger("steps") / seconds / solo.get(spec.name())));
        }
        return result;
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    private void client(Vertx vertx, int port, int n) {
        Random rng = new Random(n);
        String address = "127.0.0." + (100 + n);
        try (Peer peer = new Peer(vertx, address)) {
            while (going) {
                try {
                    switch (n % 5) {
                        case 0, 1 -> runner(peer, port, n);
                        case 2 -> uploader(peer, port, rng);
                        case 3 -> examples(peer, port, rng);
                        default -> hostile(peer, port, rng, address);
                    }
                } catch (AssertionError e) {
                    if (n % 5 <= 1) {
                        missingDone.incrementAndGet();
                        System.out.printf("soak: client %d: %s%n", n, e.getMessage());
                    }
                } catch (Exception e) {
                    count("client exception " + e.getClass().getSimpleName());
                }
            }
        }
    }

    private void runner(Peer peer, int port, int n) throws Exception {
        try (Peer.Socket socket = peer.connect(port)) {
            for (int i = 0; going; i++) {
                Spec spec = SPECS.get((n + i) % SPECS.size());
                if (time(socket, spec) != null) {
                    count("runs");
                }
            }
        }
    }

    private void uploader(Peer peer, int port, Random rng) throws Exception {
        int side = 40 + rng.nextInt(400);
        Peer.Response r = peer.upload(port, "/api/models/fashion-cnn/activations?layer=conv" + (1 + rng.nextInt(4)),
                UploadLimitsTest.greyPng(side, side));
        count("upload " + r.status());
        Thread.sleep(200);
    }

    private void examples(Peer peer, int port, Random rng) throws Exception {
        Peer.Response r = peer.get(port, "/api/models/" + (rng.nextBoolean() ? "fashion-cnn" : "mnist-cnn") + "/examples?layer=conv"
                + (1 + rng.nextInt(4)) + "&filter=" + rng.nextInt(32) + "&n=100");
        count("examples " + r.status());
    }

    /** One hostile act after another, each of which the hardening refuses. */
    private void hostile(Peer peer, int port, Random rng, String address) throws Exception {
        switch (rng.nextInt(10)) {
            case 0 -> {
                try (Peer.Socket s = peer.connect(port)) {
                    s.ws.writeTextMessage("{not json");
                    s.ws.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3}));
                    s.send(new JsonObject().put("op", "dance"));
                    s.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"fashion-cnn\",\"objective\":{\"type\":\"channel\","
                            + "\"layer\":\"conv1\",\"filter\":4294967301}}");
                    for (int i = 0; i < 80; i++) {
                        s.send(new JsonObject().put("op", "list"));
                    }
                    s.next(e -> "rate_limited".equals(e.getString("code")));
                    count("hostile messages");
                }
            }
            case 1 -> {
                try (Peer.Socket s = peer.connect(port)) {
                    // conv1 has 32 filters: each 16 times over, so the memory budget is what refuses it.
                    JsonArray filters = new JsonArray();
                    for (int i = 0; i < 512; i++) {
                        filters.add(i % 32);
                    }
                    JsonObject huge = batch("fashion-cnn", "conv1", 1, 100).put("size", 512);
                    huge.getJsonObject("objective").put("filters", filters);
                    s.send(huge);
                    count("hostile huge run " + s.next("error").getString("code"));
                }
            }
            case 2 -> {
                try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
                    ws.frame(1, true, new byte[] {'{', (byte) 0xff, '}'});
                    count("hostile utf-8 close " + ws.closeCode());
                }
            }
            case 3 -> {
                try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
                    ws.frame(1, true, new byte[100_000]);
                    count("hostile oversize close " + ws.closeCode());
                }
            }
            case 4 -> count("hostile thin image " + peer.upload(port, "/api/models/fashion-cnn/activations?layer=conv1",
                    UploadLimitsTest.greyPng(39_000_000, 1)).status());
            case 5 -> {
                Buffer body = Buffer.buffer();
                for (int i = 0; i < 300; i++) {
                    body.appendString("--XX\r\nContent-Disposition: form-data; name=\"f" + i + "\"; filename=\"x\"\r\n\r\n")
                            .appendBytes(new byte[1024]).appendString("\r\n");
                }
                int status;
                try {
                    status = peer.post(port, "/api/models/fashion-cnn/activations?layer=conv1", "multipart/form-data; boundary=XX",
                            body.appendString("--XX--\r\n")).status();
                } catch (java.util.concurrent.ExecutionException e) {
                    status = -1; // the server closed the connection of the refused upload before reading it all
                }
                count("hostile many parts " + status);
            }
            case 6 -> {
                // Half-sent requests, left for the server's request timeout to close.
                for (int i = 0; i < 40; i++) {
                    Socket s = new Socket();
                    s.bind(new InetSocketAddress(address, 0));
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    s.getOutputStream().write("GET /api/models HTTP/1.1\r\nHost: 127".getBytes(StandardCharsets.US_ASCII));
                    Thread reader = new Thread(() -> {
                        try (s) {
                            s.setSoTimeout(120_000);
                            s.getInputStream().readAllBytes();
                        } catch (IOException e) {
                            // closed by the server
                        }
                    });
                    reader.setDaemon(true);
                    reader.start();
                }
                count("hostile half-sent x40");
            }
            case 7 -> {
                String answer = RawHttp.get(port, "/api/models", "evil.example", "");
                // An empty answer: the connection was closed first (this client is over its connection limit).
                count("hostile rebinding " + (answer.length() < 12 ? "closed" : String.valueOf(RawHttp.status(answer))));
            }
            case 8 -> {
                try (Peer.Socket s = peer.connect(port)) {
                    s.send(new JsonObject().put("op", "list"));
                    JsonArray list = s.next("runs").getJsonArray("runs");
                    if (!list.isEmpty()) {
                        String victim = list.getJsonObject(0).getString("run");
                        s.send(new JsonObject().put("op", "stop").put("run", victim));
                        count("hostile stop others' run " + s.next("error").getString("code"));
                        s.send(new JsonObject().put("op", "watch").put("run", victim));
                        s.next(e -> true);
                        Thread.sleep(500);
                    }
                }
            }
            default -> {
                for (int i = 0; i < 40; i++) {
                    count("hostile api burst " + peer.get(port, "/api/models").status());
                }
            }
        }
        Thread.sleep(100);
    }
}
