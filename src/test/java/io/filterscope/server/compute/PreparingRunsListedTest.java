package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.RunSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * list shows runs still preparing (their model loading), which can be watched, as "preparing" at step 0; it left them
 * out. A read is held up by holding the store's monitor (see ModelLoadingTest).
 */
class PreparingRunsListedTest {

    @Test
    void listShowsARunWhoseModelLoadsAsPreparing() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(4, 4, 4L << 30, 1L << 30, 60_000, 3_000, false, 1),
                (run, message, droppable) -> { });
        try {
            CompletableFuture<?> b;
            synchronized (store) {
                b = service.startWhenScored("b", "B", start("b"));
                service.startWhenScored("s", "B", start("s"));
                service.call(() -> service.stop("s")).get(10, TimeUnit.SECONDS);
                List<RunSummary> listed = service.call(service::list).get(10, TimeUnit.SECONDS);
                assertEquals(List.of("b mnist-cnn preparing 0/77 1 conv2"), listed.stream().map(PreparingRunsListedTest::line).toList(),
                        "b preparing; s, stopped while it prepared, is gone");
            }
            b.get(2, TimeUnit.MINUTES);
            assertEquals(List.of("b mnist-cnn running"), service.call(service::list).get(10, TimeUnit.SECONDS).stream()
                    .map(r -> r.run() + " " + r.model() + " " + r.state()).toList());
        } finally {
            service.shutdown(10_000);
        }
    }

    private static String line(RunSummary r) {
        return r.run() + " " + r.model() + " " + r.state() + " " + r.step() + "/" + r.steps() + " " + r.images() + " "
                + r.objective().get("layer").asText();
    }

    private static ClientMessage.Start start(String tag) throws Protocol.BadMessage {
        return (ClientMessage.Start) Protocol.decode("{\"op\": \"start\", \"model\": \"mnist-cnn\", \"steps\": 77, \"tag\": \"" + tag + "\","
                + " \"objective\": {\"type\": \"channel\", \"layer\": \"conv2\", \"filter\": 0}}");
    }
}
