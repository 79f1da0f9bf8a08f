package io.filterscope.cli;

import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench --stream}: starts a server in this JVM, runs one ascent through a real WebSocket client and
 * reports what a browser would see: time from {@code start} to the first frame, frames per second received,
 * and whether exactly one frame arrived per step. It also reports what streaming costs: the CPU time of
 * the frame encoder and of the event loops that send frames, as a share of the compute thread's CPU time
 * (CPU time, not wall time, so that other load on the machine does not blur it). {@code --model vgg16}
 * streams a random-init VGG16 (no weights needed).
 */
final class StreamBench {
    private StreamBench() {
    }

    static int run(Path models, String model, String layer, int filter, int size, int steps) throws Exception {
        if (model.equals("vgg16")) {
            // A DL4J zip dropped into a models directory is a model with default metadata.
            models = java.nio.file.Files.createTempDirectory("filterscope-stream");
            org.deeplearning4j.util.ModelSerializer.writeModel(io.filterscope.model.Vgg16.notop(size, 0),
                    models.resolve("vgg16.zip").toFile(), false);
            models.toFile().deleteOnExit();
            models.resolve("vgg16.zip").toFile().deleteOnExit();
        }
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        try {
            // One warm-up run loads the model and compiles the network, as a user's first click would.
            measure(server.port(), model, layer, filter, size, 5);
            Map<String, Long> cpuBefore = cpuByRole();
            Result r = measure(server.port(), model, layer, filter, size, steps);
            Map<String, Long> cpuAfter = cpuByRole();
            double compute = cpuAfter.get("compute") - cpuBefore.get("compute");
            double encode = cpuAfter.get("encoder") - cpuBefore.get("encoder");
            double send = cpuAfter.get("eventloop") - cpuBefore.get("eventloop");
            System.out.printf("# first frame %.1f ms after start; %d frames for %d steps; %.1f frames/s received%n",
                    r.firstFrameMs, r.frames, steps, r.frames / r.seconds);
            System.out.printf("# CPU per step: compute %.2f ms, encoding %.2f ms (%.1f%%), sending %.2f ms (%.1f%%)%n",
                    compute / steps / 1e6, encode / steps / 1e6, 100 * encode / compute, send / steps / 1e6, 100 * send / compute);
            System.out.printf("filterscope stream first_frame_ms=%.1f frames_per_s=%.1f frames=%d steps=%d streaming_cost_pct=%.1f model=%s layer=%s size=%d%n",
                    r.firstFrameMs, r.frames / r.seconds, r.frames, steps, 100 * (encode + send) / compute, model, layer, size);
            return r.frames == steps ? 0 : 1;
        } finally {
            server.closeAndWait();
        }
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

    private record Result(double firstFrameMs, int frames, double seconds) {
    }

    private static Result measure(int port, String model, String layer, int filter, int size, int steps) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long[] times = new long[2];
        int[] frames = new int[1];
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                if (last) {
                    if (frames[0]++ == 0) {
                        times[0] = System.nanoTime();
                    }
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                String text = data.toString();
                if (text.contains("\"done\"") || text.contains("\"error\"")) {
                    times[1] = System.nanoTime();
                    done.complete(null);
                    if (text.contains("\"error\"")) {
                        done.completeExceptionally(new IllegalStateException(text));
                    }
                }
                ws.request(1);
                return null;
            }
        };
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), listener).get(10, TimeUnit.SECONDS);
        JsonObject start = new JsonObject().put("op", "start").put("model", model).put("size", size).put("steps", steps)
                .put("objective", new JsonObject().put("type", "channel").put("layer", layer).put("filter", filter));
        long sent = System.nanoTime();
        ws.sendText(start.encode(), true).join();
        done.get(10, TimeUnit.MINUTES);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        return new Result((times[0] - sent) / 1e6, frames[0], (times[1] - times[0]) / 1e9);
    }
}
