package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker's warm-up runs its models' usual paths once (it is ready only after): the page's first run of each model
 * stepped (its networks are in the cache for the first real run) and its default layer's example pictures scored (a
 * first {@code examples} query or examples-started run there has nothing left to score), within a time budget.
 */
class WarmUpTest {

    /** Given the time (the worker's budget, {@link WarmUp#BUDGET_NANOS}, may run out on a loaded machine). */
    @Test
    void aWarmUpStepsAndScoresEachModelsDefaults() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        assertEquals(java.util.List.of(), WarmUp.run(store, new ModelQueries(store, () -> 4L << 30), DeviceSpeed.calibrate(),
                TimeUnit.MINUTES.toNanos(10), Runnable::run), "no model left cold");
        assertTrue(store.networks().bytes() > 0, "the warm-up's networks are kept for the first runs");
        for (ModelStore.Entry entry : store.list()) {
            var model = store.load(entry.id());
            String layer = model.defaultLayer().name();
            assertTrue(model.exampleActivations().scoreSlice(layer, 1), entry.id() + "'s " + layer + " pictures are scored");
        }
        assertEquals("conv5", store.load("emoji-cnn").defaultLayer().name(), "the model's default view");
        assertEquals("conv2", store.load("fashion-cnn").defaultLayer().name(), "as the page: the second convolution");
    }

    /**
     * The warm-up is a head start within a time budget: a models folder of ImageNet-size networks kept {@code serve} from
     * starting within its minute. A model whose turn comes after the budget is spent is not even loaded; the default
     * model comes first.
     */
    @Test
    void modelsWhoseTurnComesAfterTheBudgetStayColdTheDefaultModelFirst() {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ModelQueries queries = new ModelQueries(store, () -> 4L << 30);
        java.util.List<String> cold = WarmUp.run(store, queries, DeviceSpeed.calibrate(), 0, Runnable::run);
        assertEquals(ModelStore.DEFAULT_MODEL, cold.get(0), "the page's model would have gone first");
        assertEquals(store.list().stream().filter(ModelStore.Entry::available).count(), cold.size(), "no time, no model warmed: " + cold);
        assertEquals(0, store.networks().bytes(), "nothing stepped");
    }

    /**
     * The budget holds within a model: a read that outlasts it (inception_v3's .h5 took a minute or more on 2 busy cores,
     * and {@code serve} neared its 60 s limit) is not waited for; it goes on on the loader thread. The read is held up by
     * holding the store's monitor, under which {@link ModelStore#load} reads a model not loaded yet.
     */
    @Test
    void aReadThatOutlastsTheBudgetIsNotWaitedFor() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ModelQueries queries = new ModelQueries(store, () -> 4L << 30);
        DeviceSpeed speed = DeviceSpeed.calibrate();
        java.util.concurrent.ExecutorService loader = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            long took;
            java.util.List<String> cold;
            synchronized (store) {
                long began = System.nanoTime();
                cold = WarmUp.run(store, queries, speed, TimeUnit.SECONDS.toNanos(2), loader);
                took = System.nanoTime() - began;
            }
            assertTrue(took < TimeUnit.MILLISECONDS.toNanos(3_500), "the warm-up ended within its budget of 2 s: " + took / 1_000_000 + " ms");
            assertEquals(store.list().stream().filter(ModelStore.Entry::available).count(), cold.size(), "every model left cold: " + cold);
            assertEquals(ModelStore.DEFAULT_MODEL, cold.get(0), "the one being read");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (store.loadedNow(ModelStore.DEFAULT_MODEL) == null && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(store.loadedNow(ModelStore.DEFAULT_MODEL) != null, "its read went on, for its first run");
        } finally {
            loader.shutdownNow();
        }
    }
}
