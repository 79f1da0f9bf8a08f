package io.filterscope.cli;

import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.RenderParams;
import io.filterscope.model.InputSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.bytedeco.javacpp.Pointer;

/**
 * {@code bench --runs N}: starts N short runs one after another, as a server does all day, and prints the
 * process's resident memory, the JVM heap after a GC and ND4J's off-heap bytes before and after, so that
 * growth (a leak) shows.
 */
final class MemoryBench {
    private MemoryBench() {
    }

    /** @param borrow a network for a batch of one, as the server lends them; {@code release} gives it back */
    static int run(IntFunction<Network> borrow, Consumer<Network> release, String layer, InputSpace space, int runs, int steps)
            throws IOException {
        measure(borrow, release, layer, space, 3, steps);
        Usage before = Usage.now();
        long started = System.nanoTime();
        measure(borrow, release, layer, space, runs, steps);
        double seconds = (System.nanoTime() - started) / 1e9;
        Usage after = Usage.now();
        System.out.printf("# %d runs of %d steps in %.1f s%n", runs, steps, seconds);
        System.out.printf("# before: rss %d MB, heap %d MB, off-heap %d MB%n", before.rss >> 20, before.heap >> 20, before.offHeap >> 20);
        System.out.printf("# after:  rss %d MB, heap %d MB, off-heap %d MB%n", after.rss >> 20, after.heap >> 20, after.offHeap >> 20);
        System.out.printf("filterscope memory runs=%d rss_mb=%d rss_growth_pct=%.1f heap_growth_pct=%.1f offheap_growth_pct=%.1f layer=%s%n",
                runs, after.rss >> 20, growth(before.rss, after.rss), growth(before.heap, after.heap),
                growth(before.offHeap, after.offHeap), layer);
        return 0;
    }

    private static void measure(IntFunction<Network> borrow, Consumer<Network> release, String layer, InputSpace space,
                                int runs, int steps) {
        for (int r = 0; r < runs; r++) {
            Network net = borrow.apply(1);
            AscentRun run = new AscentRun(net, List.of(new ChannelObjective(layer, r % 8)), space, steps, r,
                    RenderParams.DEFAULTS);
            while (!run.finished()) {
                run.step();
            }
            release.accept(net);
        }
    }

    private static double growth(long before, long after) {
        return before == 0 ? 0 : 100.0 * (after - before) / before;
    }

    private record Usage(long rss, long heap, long offHeap) {
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
            return new Usage(residentBytes(), rt.totalMemory() - rt.freeMemory(), Pointer.totalBytes());
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
