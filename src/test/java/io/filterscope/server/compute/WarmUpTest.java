package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker told to warm up is ready only after its models' usual paths ran once: the page's first run of each
 * model stepped (its networks are in the cache for the first real run) and its default layer's example pictures
 * scored (a first {@code examples} query or examples-started run there has nothing left to score).
 */
class WarmUpTest {

    @Test
    void aWarmedWorkerHasSteppedAndScoredEachModelsDefaultsBeforeItIsReady() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 120_000, 3_000, true, 1),
                (run, message, droppable) -> { });
        try {
            service.ready().get(5, TimeUnit.MINUTES);
            assertTrue(store.networks().bytes() > 0, "the warm-up's networks are kept for the first runs");
            for (ModelStore.Entry entry : store.list()) {
                var model = store.load(entry.id());
                String layer = model.defaultLayer().name();
                assertTrue(model.exampleActivations().scoreSlice(layer, 1), entry.id() + "'s " + layer + " pictures are scored");
            }
            assertEquals("conv5", store.load("emoji-cnn").defaultLayer().name(), "the model's default view");
            assertEquals("conv2", store.load("fashion-cnn").defaultLayer().name(), "as the page: the second convolution");
        } finally {
            service.shutdown(10_000);
        }
    }
}
