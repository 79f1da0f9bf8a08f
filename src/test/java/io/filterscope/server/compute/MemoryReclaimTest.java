package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The memory a large run frees at its end is collected (a full collection, which stops every thread of the process)
 * only once no run steps: beside a run that goes on, its frames would freeze for the collection's length.
 */
class MemoryReclaimTest {
    @Test
    void aLargeRunsMemoryIsCollectedWhenNoOtherRunStepsNotAtItsEnd() throws Exception {
        Map<String, CompletableFuture<ServerEvent.Done>> done = new ConcurrentHashMap<>();
        // No networks kept for reuse: the large run's network is dropped at its end.
        ComputeService service = new ComputeService(new ModelStore(Path.of("models"), NetworkCache.unbounded()), 0,
                new ComputeService.Settings(2, 2, 4L << 30, 0, 120_000, 60_000, false, 2), (run, message, droppable) -> {
                    if (message instanceof ServerEvent.Done d) {
                        done.computeIfAbsent(run, r -> new CompletableFuture<>()).complete(d);
                    }
                });
        try {
            start(service, "small", """
                    {"op": "start", "model": "fashion-cnn", "steps": 100000, "objective": {"type": "channel", "layer": "conv1", "filter": 0}}""");
            start(service, "large", """
                    {"op": "start", "model": "fashion-cnn", "steps": 2, "size": 320,
                     "objective": {"type": "channel", "layer": "conv2", "filters": [0, 1, 2, 3, 4, 5, 6, 7]}}""");
            assertEquals(ServerEvent.Done.Reason.COMPLETED, doneOf(done, "large").reason());
            assertEquals(0, (int) service.call(service::collections).get(1, TimeUnit.MINUTES), "none while the small run steps");

            service.call(() -> service.stop("small")).get(1, TimeUnit.MINUTES);
            doneOf(done, "small");

            assertEquals(1, (int) service.call(service::collections).get(1, TimeUnit.MINUTES), "one, once no run steps");
        } finally {
            service.shutdown(10_000);
        }
    }

    private static void start(ComputeService service, String run, String json) throws Exception {
        service.call(() -> service.start(run, "client-" + run, (ClientMessage.Start) Protocol.decode(json))).get(2, TimeUnit.MINUTES);
    }

    private static ServerEvent.Done doneOf(Map<String, CompletableFuture<ServerEvent.Done>> done, String run) throws Exception {
        return done.computeIfAbsent(run, r -> new CompletableFuture<>()).get(2, TimeUnit.MINUTES);
    }
}
