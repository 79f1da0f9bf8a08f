package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.filterscope.model.FixtureModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --others-nice}: on Linux with the CPU backend every thread of a server but its compute threads runs nicer
 * than they do when asked, so that on busy cores steps go first (io.filterscope.server.compute.ComputeFirst); by
 * default all run alike. Read from each
 * thread's /proc stat line in a server of its own, as the test JVM's own threads would carry it to later tests.
 */
class ComputeFirstTest {

    @Test
    void everyThreadButTheComputeThreadsRunsFourNicerWithOthersNiceFour(@TempDir Path models) throws Exception {
        Map<String, Integer> nice = niceOfThreads(models, List.of("--others-nice", "4"));
        int compute = nice.get("filterscope-com");
        assertEquals(Math.min(19, compute + 4), nice.get("vert.x-eventloo"), nice.toString());
        assertEquals(Math.min(19, compute + 4), nice.get("java"), nice.toString()); // the main thread
        assertTrue(nice.entrySet().stream().filter(e -> !e.getKey().equals("filterscope-com"))
                .allMatch(e -> e.getValue() >= Math.min(19, compute + 4)), nice.toString());
    }

    @Test
    void byDefaultEveryThreadRunsAlike(@TempDir Path models) throws Exception {
        Map<String, Integer> nice = niceOfThreads(models, List.of());
        assertEquals(nice.get("filterscope-com"), nice.get("vert.x-eventloo"), nice.toString());
    }

    /**
     * Starts a server with {@code flags} on a LeNet fixture and gives, by thread name as the kernel keeps it, the
     * lowest nice value of the threads of that name, once every other thread is nicer than the compute threads, or
     * 3 s (a few heartbeats) after the server listens.
     */
    private static Map<String, Integer> niceOfThreads(Path models, List<String> flags) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        FixtureModels.writeLeNet(models, "tiny");
        List<String> all = new java.util.ArrayList<>(List.of("--models", models.toString(), "--no-warm-up"));
        all.addAll(flags);
        try (ServerProcess server = ServerProcess.start(models, List.of("-Xmx512m"), all,
                Path.of("target", "hardening", "compute-first.log"))) {
            Map<String, Integer> nice = Map.of();
            // The compute threads lower the others as they take work, then each heartbeat those started since.
            for (int i = 0; i <= 30; i++) {
                nice = threads(server.process.pid());
                int compute = nice.get("filterscope-com");
                boolean othersNicer = nice.entrySet().stream().filter(e -> !e.getKey().equals("filterscope-com"))
                        .allMatch(e -> e.getValue() > compute);
                if (othersNicer) {
                    break;
                }
                Thread.sleep(100);
            }
            assertFalse(nice.isEmpty());
            return nice;
        }
    }

    private static Map<String, Integer> threads(long pid) throws IOException {
        Map<String, Integer> nice = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    int value = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
                    nice.merge(name, value, Math::min);
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return nice;
    }
}
