package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench --stream}: starts a server in this JVM, runs ascents through real WebSocket clients and reports
 * what a browser would see. With one run: time from {@code start} to the first frame, frames per second
 * received, and whether exactly one frame arrived per step; and what streaming costs: the CPU time of the
 * frame encoder and of the event loops that send frames, as a share of the compute thread's CPU time (CPU
 * time, not wall time, so that other load on the machine does not blur it). With {@code --concurrent N,...}:
 * N runs at once, each on a WebSocket of its own as N people would start them (image i maximizes filter
 * {@code filter + i}, seed i), for each N given in turn: their total steps per second from the first start
 * to the last "done", the compute thread's CPU time per run-step (what the rate would be on an otherwise idle
 * core, which a loaded machine's wall times do not show), and each run's time from its start to its first frame. {@code --model vgg16}
 * streams a random-init VGG16 (no weights needed).
 */
final class StreamBench {
    private StreamBench() {
    }

    /** What to run: a model (or vgg16), its layer and first filter, the image size, steps and preset (null: the default). */
    record Case(String model, String layer, int filter, int size, int steps, String preset) {
        JsonObject start(int i) {
            JsonObject start = new JsonObject().put("op", "start").put("model", model).put("size", size).put("steps", steps)
                    .put("seed", i).put("objective", new JsonObject().put("type", "channel").put("layer", layer).put("filter", filter + i));
            return preset == null ? start : start.put("preset", preset);
        }
    }

    static int run(Path models, Case c) throws Exception {
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(modelsFor(models, c)).withPort(0));
        try {
            // One warm-up run loads the model and compiles the network, as a user's first click would.
            warmUp(server.port(), c);
            Map<String, Long> cpuBefore = cpuByRole();
            Client r = Client.connect(server.port());
            r.start(c.start(0));
            r.await();
            Map<String, Long> cpuAfter = cpuByRole();
            int steps = c.steps();
            double compute = cpuAfter.get("compute") - cpuBefore.get("compute");
            double encode = cpuAfter.get("encoder") - cpuBefore.get("encoder");
            double send = cpuAfter.get("eventloop") - cpuBefore.get("eventloop");
            double seconds = (r.finished - r.firstFrame) / 1e9;
            System.out.printf("# first frame %.1f ms after start; %d frames for %d steps; %.1f frames/s received%n",
                    r.firstFrameMs(), r.frames, steps, r.frames / seconds);
            System.out.printf("# CPU per step: compute %.2f ms, encoding %.2f ms (%.1f%%), sending %.2f ms (%.1f%%)%n",
                    compute / steps / 1e6, encode / steps / 1e6, 100 * encode / compute, send / steps / 1e6, 100 * send / compute);
            System.out.printf("filterscope stream first_frame_ms=%.1f frames_per_s=%.1f frames=%d steps=%d streaming_cost_pct=%.1f model=%s layer=%s size=%d%n",
                    r.firstFrameMs(), r.frames / seconds, r.frames, steps, 100 * (encode + send) / compute, c.model(), c.layer(), c.size());
            return r.frames == steps ? 0 : 1;
        } finally {
            server.closeAndWait();
        }
    }

    /**
     * N runs at once for each N of {@code counts}, in the order given (repeat them, e.g. 1,30,1,30, to alternate on
     * a noisy machine); the medians per N and their ratio to N = 1 close the report. A count given more than once
     * leaves its first round out of its medians: the first rounds run on a colder process (1.3-1.6x the processor time
     * per step of later ones, docs/performance.md), which would favour whichever count comes later. A client that falls
     * behind may miss intermediate frames (as the server means it to), so the frame count is reported, not required.
     */
    static int concurrent(Path models, Case c, List<Integer> counts) throws Exception {
        int most = counts.stream().mapToInt(Integer::intValue).max().orElse(1);
        ServerConfig config = ServerConfig.defaults(modelsFor(models, c)).withPort(0).withLimits(ServerConfig.Limits.DEFAULT
                .withoutClientShares().with(Limit.ACTIVE_RUNS, most).with(Limit.CONNECTIONS, Math.max(most + 8, 256)));
        FilterScopeServer server = FilterScopeServer.startAndWait(config);
        Map<Integer, List<double[]>> byCount = new LinkedHashMap<>();
        try {
            warmUp(server.port(), c);
            for (int n : counts) {
                List<Client> clients = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    clients.add(Client.connect(server.port()));
                }
                long cpuBefore = cpuByRole().get("compute");
                for (int i = 0; i < n; i++) {
                    clients.get(i).start(c.start(i));
                }
                for (Client client : clients) {
                    client.await();
                }
                double cpuPerStep = (cpuByRole().get("compute") - cpuBefore) / 1e6 / (n * c.steps());
                long first = clients.stream().mapToLong(cl -> cl.sent).min().orElseThrow();
                long last = clients.stream().mapToLong(cl -> cl.finished).max().orElseThrow();
                int frames = clients.stream().mapToInt(cl -> cl.frames).sum();
                double stepsPerSecond = (double) n * c.steps() / ((last - first) / 1e9);
                double[] firstFrames = clients.stream().mapToDouble(Client::firstFrameMs).sorted().toArray();
                double median = firstFrames[firstFrames.length / 2];
                double max = firstFrames[firstFrames.length - 1];
                byCount.computeIfAbsent(n, k -> new ArrayList<>()).add(new double[] {stepsPerSecond, median, max, cpuPerStep});
                System.out.printf("# %d runs at once: %.1f steps/s in all (%.1f per run); compute thread %.3f ms CPU per run-step; "
                        + "first frame %.1f ms (median), %.1f ms (max) after start; %d frames for %d steps%n", n, stepsPerSecond,
                        stepsPerSecond / n, cpuPerStep, median, max, frames, n * c.steps());
                for (Client client : clients) {
                    client.close();
                }
            }
        } finally {
            server.closeAndWait();
        }
        byCount.replaceAll((n, rounds) -> rounds.size() > 1 ? rounds.subList(1, rounds.size()) : rounds);
        double alone = byCount.containsKey(1) ? medianOf(byCount.get(1), 0) : Double.NaN;
        double aloneCpu = byCount.containsKey(1) ? medianOf(byCount.get(1), 3) : Double.NaN;
        byCount.forEach((n, rounds) -> System.out.printf(java.util.Locale.ROOT,
                "filterscope stream_concurrent runs=%d steps_per_s=%.1f vs_one_run=%.2f cpu_ms_per_step=%.3f cpu_vs_one_run=%.2f "
                        + "first_frame_ms_median=%.1f first_frame_ms_max=%.1f rounds=%d model=%s layer=%s size=%d preset=%s%n",
                n, medianOf(rounds, 0), medianOf(rounds, 0) / alone, medianOf(rounds, 3), aloneCpu / medianOf(rounds, 3),
                medianOf(rounds, 1), medianOf(rounds, 2), rounds.size(), c.model(), c.layer(), c.size(),
                c.preset() == null ? "default" : c.preset()));
        return 0;
    }

    private static double medianOf(List<double[]> rounds, int field) {
        double[] v = rounds.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return (v[(v.length - 1) / 2] + v[v.length / 2]) / 2;
    }

    /** A models directory holding the case's model: a random-init VGG16 written for it, or the one given. */
    private static Path modelsFor(Path models, Case c) throws Exception {
        if (!c.model().equals("vgg16")) {
            return models;
        }
        // A DL4J zip dropped into a models directory is a model with default metadata.
        Path dir = java.nio.file.Files.createTempDirectory("filterscope-stream");
        org.deeplearning4j.util.ModelSerializer.writeModel(io.filterscope.model.Vgg16.notop(c.size(), 0),
                dir.resolve("vgg16.zip").toFile(), false);
        dir.toFile().deleteOnExit();
        dir.resolve("vgg16.zip").toFile().deleteOnExit();
        return dir;
    }

    private static void warmUp(int port, Case c) throws Exception {
        Client warm = Client.connect(port);
        warm.start(new Case(c.model(), c.layer(), c.filter(), c.size(), 5, c.preset()).start(0));
        warm.await();
        warm.close();
    }

    /** CPU time so far of the compute threads, the frame encoder and Vert.x's event loops, by thread name. */
    private static Map<String, Long> cpuByRole() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new HashMap<>(Map.of("compute", 0L, "encoder", 0L, "eventloop", 0L));
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String role = t.getName().startsWith("filterscope-compute") ? "compute"
                    : t.getName().startsWith("filterscope-encoder") ? "encoder"
                    : t.getName().startsWith("vert.x-eventloop") ? "eventloop" : null;
            long ns = threads.getThreadCpuTime(t.getId());
            if (role != null && ns > 0) {
                cpu.merge(role, ns, Long::sum);
            }
        }
        return cpu;
    }

    /** One run on a WebSocket of its own: when its start went out, its first frame and its "done" came (System.nanoTime). */
    private static final class Client implements WebSocket.Listener {
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private WebSocket ws;
        volatile long sent;
        volatile long firstFrame;
        volatile long finished;
        volatile int frames;

        static Client connect(int port) throws Exception {
            Client c = new Client();
            c.ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), c).get(10, TimeUnit.SECONDS);
            return c;
        }

        void start(JsonObject start) {
            sent = System.nanoTime();
            ws.sendText(start.encode(), true).join();
        }

        void await() throws Exception {
            try {
                done.get(10, TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof UserError refused ? refused : e;
            }
        }

        double firstFrameMs() {
            return (firstFrame - sent) / 1e6;
        }

        void close() {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            if (last && frames++ == 0) {
                firstFrame = System.nanoTime();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            String text = data.toString();
            if (text.contains("\"done\"") || text.contains("\"error\"")) {
                finished = System.nanoTime();
                if (text.contains("\"error\"")) {
                    done.completeExceptionally(new UserError(new JsonObject(text).getString("message", text)));
                } else {
                    done.complete(null);
                }
            }
            ws.request(1);
            return null;
        }
    }
}
