package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadedModel#measureSizes} compiles the model at twice its size once, however many ask at once (a start on the
 * worker's loader thread and a query under its lock: inception_v3 took 20-40 s, so a second compile cost as much again).
 * The compile is held up by holding the store's network cache's monitor, which lending a network takes first.
 */
class MeasureSizesTest {

    @Test
    void twoFirstUsesAtOnceCompileOnce() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        LoadedModel model = store.load("mnist-cnn");
        assertEquals(0, store.networks().bytes(), "nothing lent yet");
        List<Thread> askers;
        synchronized (store.networks()) {
            askers = List.of(new Thread(model::measureSizes), new Thread(model::measureSizes));
            askers.forEach(Thread::start);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (askers.stream().anyMatch(t -> t.getState() != Thread.State.BLOCKED) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(askers.stream().allMatch(t -> t.getState() == Thread.State.BLOCKED), "both ask before either has its answer");
        }
        for (Thread t : askers) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertTrue(model.sizesMeasured());
        assertEquals(model.bytesFor(1, 2L * model.height()), store.networks().bytes(),
                "one network at twice the model's size was compiled (and kept for reuse), not two");
        assertTrue(model.takesAnySize("conv2") && !model.takesAnySize(model.layers().get(model.layers().size() - 1).name()),
                "conv2 takes any size, the output layer does not");
    }
}
