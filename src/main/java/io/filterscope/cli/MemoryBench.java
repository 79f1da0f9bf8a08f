package io.filterscope.cli;

import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.param.InputSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * {@code bench --runs N}: starts N short runs one after another, as a server does all day, and prints the
 * process's resident memory and the JVM heap after a GC, after a warm-up and at five checkpoints, so that
 * growth (a leak) shows apart from memory that is merely waiting for a collection.
 */
final class MemoryBench {
    private static final int WARM_UP = 100;

    private MemoryBench() {
    }

    /** @param borrow a network for a batch of one, as the server lends them; {@code release} gives it back */
    static int run(IntFunction<Network> borrow, Consumer<Network> release, String layer, InputSpace space, int runs, int steps)
            throws IOException {
        // Warm up first, so that one-time costs (JIT, ND4J's caches, the step workspace) are not counted as growth.
        measure(borrow, release, layer, space, WARM_UP, steps);
        Usage before = Usage.now();
        long started = System.nanoTime();
        int checkpoint = Math.max(1, runs / 5);
        for (int done = 0; done < runs; done += checkpoint) {
            measure(borrow, release, layer, space, Math.min(checkpoint, runs - done), steps);
            Usage now = Usage.now();
            System.out.printf("# after %d runs: rss %d MB, heap %.1f MB%n", Math.min(done + checkpoint, runs), now.rss >> 20, now.heap / 1e6);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Usage after = Usage.now();
        System.out.printf("# %d runs of %d steps in %.1f s%n", runs, steps, seconds);
        System.out.printf("# before: rss %d MB, heap %.1f MB%n", before.rss >> 20, before.heap / 1e6);
        System.out.printf("# after:  rss %d MB, heap %.1f MB%n", after.rss >> 20, after.heap / 1e6);
        System.out.printf("filterscope memory runs=%d rss_mb=%d rss_growth_pct=%.1f heap_growth_pct=%.1f layer=%s%n",
                runs, after.rss >> 20, growth(before.rss, after.rss), growth(before.heap, after.heap), layer);
        return 0;
    }

    private static void measure(IntFunction<Network> borrow, Consumer<Network> release, String layer, InputSpace space,
                                int runs, int steps) {
        for (int r = 0; r < runs; r++) {
            Network net = borrow.apply(1);
            AscentRun run = new AscentRun(net, List.of(new ChannelObjective(layer, r % 8)),
                    Presets.PLAIN.build(Presets.PLAIN.defaults(), space), (int) net.input().size(2), steps, r);
            while (!run.finished()) {
                run.step();
            }
            release.accept(net);
        }
    }

    private static double growth(long before, long after) {
        return before == 0 ? 0 : 100.0 * (after - before) / before;
    }

    /**
     * Resident size and heap after a GC. ND4J's CPU buffers show in neither JavaCPP's nor ND4J's counters,
     * only in the resident size; they are freed when the GC collects their arrays' wrappers.
     */
    private record Usage(long rss, long heap) {
        static Usage now() throws IOException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Runtime rt = Runtime.getRuntime();
            return new Usage(residentBytes(), rt.totalMemory() - rt.freeMemory());
        }

        private static long residentBytes() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return 0;
        }
    }
}
