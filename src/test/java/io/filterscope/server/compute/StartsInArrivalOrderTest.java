package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.Protocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs asked for while their model loads (and its layer's first scoring runs) are placed in the order they came: with one
 * place, four starts of mnist-cnn's conv2 from one client, the first 300 ms before the others, started the third and
 * queued the second at 1 and the first at 2. A read is held up by holding the store's monitor (see ModelLoadingTest).
 */
class StartsInArrivalOrderTest {

    @Test
    void runsAskedForWhileTheirModelLoadsArePlacedInTheOrderTheyCame() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(1, 8, 4L << 30, 1L << 30, 60_000, 3_000, false, 1),
                (run, message, droppable) -> { });
        try {
            List<CompletableFuture<ComputeApi.Accepted>> accepted = new ArrayList<>();
            synchronized (store) {
                accepted.add(service.startWhenScored("t1", "C", start()));
                Thread.sleep(300);
                for (String run : List.of("t2", "t3", "t4")) {
                    accepted.add(service.startWhenScored(run, "C", start()));
                }
            }
            List<Integer> positions = new ArrayList<>();
            for (CompletableFuture<ComputeApi.Accepted> a : accepted) {
                positions.add(a.get(2, TimeUnit.MINUTES).position());
            }
            assertEquals(List.of(0, 1, 2, 3), positions, "t1 starts, t2, t3 and t4 wait in the order they came");
        } finally {
            service.shutdown(10_000);
        }
    }

    private static ClientMessage.Start start() throws Protocol.BadMessage {
        return (ClientMessage.Start) Protocol.decode("{\"op\": \"start\", \"model\": \"mnist-cnn\", \"steps\": 100000,"
                + " \"objective\": {\"type\": \"channel\", \"layer\": \"conv2\", \"filter\": 0}}");
    }
}
