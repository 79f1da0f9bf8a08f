package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server does short runs all day: 1,000 in a row through the WebSocket must not grow the JVM heap (after
 * GC) or the native memory by 5% or more. Measured after a warm-up, so one-time caches (compiled networks,
 * the step workspace, ND4J's shape caches, JIT) are already in place. ND4J's CPU buffers are counted by no
 * ND4J or JavaCPP counter (both report 0 here), so native memory is the process's resident anonymous
 * memory outside the JVM's own reservations (see {@link Memory}). Native buffers of dead arrays are freed
 * when the JVM collects their wrappers, hence the GC before each reading.
 */
class LeakTest {
    private static final int WARM_UP = 1500;
    private static final int RUNS = 1000;

    @Test
    void aThousandShortRunsGrowNeitherHeapNorOffHeapMemoryByFivePercent(@TempDir Path models) throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        // One client starts the runs back to back, faster than the default per-socket message limit allows.
        ServerConfig config = ServerConfig.defaults(models).withPort(0)
                .withLimits(ServerConfig.Limits.DEFAULT.withConnections(8, 16, 1_000_000));
        FilterScopeServer server = FilterScopeServer.startAndWait(config);
        try (TestClient client = TestClient.connect(server.port())) {
            runs(client, WARM_UP);
            // Each end is the floor of three readings 100 runs apart: malloc hands memory back to the system
            // in steps, so a single reading can sit one step high; a leak raises the floor itself.
            Memory before = floor(client);
            runs(client, RUNS - 2 * FLOOR_RUNS);
            Memory after = floor(client);
            System.out.printf("leak: %d runs: heap %.2f -> %.2f MB (%+.1f%%), native %.1f -> %.1f MB (%+.1f%%)%n",
                    RUNS, before.heap / 1e6, after.heap / 1e6, growth(before.heap, after.heap),
                    before.nativeBytes / 1e6, after.nativeBytes / 1e6, growth(before.nativeBytes, after.nativeBytes));
            assertTrue(growth(before.heap, after.heap) < 5, "heap after GC grew " + growth(before.heap, after.heap) + "%");
            assertTrue(growth(before.nativeBytes, after.nativeBytes) < 5,
                    "native memory grew " + growth(before.nativeBytes, after.nativeBytes) + "%");
        } finally {
            server.closeAndWait();
        }
    }

    private static final int FLOOR_RUNS = 200;

    private static Memory floor(TestClient client) throws Exception {
        Memory low = Memory.now();
        for (int k = 0; k < 2; k++) {
            runs(client, FLOOR_RUNS / 2);
            Memory m = Memory.now();
            low = new Memory(Math.min(low.heap, m.heap), Math.min(low.nativeBytes, m.nativeBytes));
        }
        return low;
    }

    private static void runs(TestClient client, int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            client.send(new JsonObject().put("op", "start").put("model", "tiny")
                    .put("objective", new JsonObject().put("type", "channel").put("layer", "conv2").put("filter", i % 4))
                    .put("steps", 2).put("seed", i).put("tag", "r" + i));
            String tag = "r" + i;
            JsonObject done = client.nextEvent(e -> "done".equals(e.getString("type")) && e.getString("run") != null
                    && "completed".equals(e.getString("reason")) || "error".equals(e.getString("type")));
            assertEquals("done", done.getString("type"), () -> "run " + tag + ": " + done);
            client.forgetReceived();
        }
    }

    private static double growth(long before, long after) {
        return before == 0 ? 0 : 100.0 * (after - before) / before;
    }

    /** Live heap, and resident anonymous memory outside the JVM's own reservations, after full collections. */
    record Memory(long heap, long nativeBytes) {
        static Memory now() throws Exception {
            var jvm = ManagementFactory.getMemoryMXBean();
            long heap = Long.MAX_VALUE;
            long nativeBytes = Long.MAX_VALUE;
            // The smallest of a few post-GC readings: what is still reachable, not garbage caught mid-flight,
            // and native buffers after ND4J's deallocator thread has freed those of collected arrays.
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(200);
                heap = Math.min(heap, jvm.getHeapMemoryUsage().getUsed());
                nativeBytes = Math.min(nativeBytes, residentOutsideJvmReservations());
            }
            return new Memory(heap, nativeBytes);
        }

        /**
         * Resident anonymous memory (not pages of loaded libraries) outside the JVM's big reservations (the
         * Java heap, class space, code cache: each reserved whole at start-up, hundreds of MB and more, and
         * resident only as far as touched, which moves with every collection). What remains is malloc's
         * arenas and mappings, where ND4J's buffers live, and thread stacks.
         */
        private static long residentOutsideJvmReservations() throws java.io.IOException {
            long total = 0;
            long size = 0;
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/smaps"))) {
                if (line.startsWith("Size:")) {
                    size = kilobytes(line);
                } else if (line.startsWith("Anonymous:") && size < JVM_RESERVATION_KB) {
                    total += kilobytes(line) * 1024;
                }
            }
            return total;
        }

        private static final long JVM_RESERVATION_KB = 200 * 1024;

        private static long kilobytes(String line) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
    }
}
