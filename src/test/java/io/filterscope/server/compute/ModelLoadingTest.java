package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.ApiError;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's first read (inception_v3's .h5 took 52-92 s on a busy 2-core machine) happens off the compute threads and
 * their lock: a running run keeps stepping, and other clients' commands are answered, while it lasts. The read is held
 * up by holding the store's monitor, under which {@link ModelStore#load} reads a model not loaded yet: mnist-cnn's read
 * lasts as long as the test says, on whichever thread it happens.
 */
class ModelLoadingTest {
    /** Time in one piece of work after which the worker calls itself wedged: shorter than the reads held up here. */
    private static final long WEDGED_AFTER_MS = 1_500;

    @Test
    void runsStepAndCommandsAreAnsweredWhileAnotherClientsModelLoads() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = service(store, new CopyOnWriteArrayList<>());
        try {
            service.call(() -> service.start("a", "A", start("fashion-cnn", "conv1"))).get(2, TimeUnit.MINUTES);
            CompletableFuture<ComputeApi.Accepted> b;
            synchronized (store) {
                b = service.startWhenScored("b", "B", start("mnist-cnn", "conv2"));
                int before = stepOfA(service);
                Thread.sleep(2 * WEDGED_AFTER_MS);
                int after = stepOfA(service);
                assertTrue(after > before + 10, "run a stepped while mnist-cnn was read: step " + before + " then " + after);
                assertTrue(service.health().ok(), "a model's read is not the worker wedged: " + service.health());
                assertEquals(0, service.startWhenScored("c", "C", start("fashion-cnn", "conv2")).get(10, TimeUnit.SECONDS).position(),
                        "another client's start on a loaded model is answered meanwhile");
                assertFalse(b.isDone(), "b's start waits for its model");
            }
            assertEquals(0, b.get(1, TimeUnit.MINUTES).position());
            assertEquals(List.of("a", "c", "b"), service.call(service::list).get(10, TimeUnit.SECONDS).stream()
                    .map(io.filterscope.server.protocol.RunSummary::run).toList());
        } finally {
            service.shutdown(10_000);
        }
    }

    /** A client that leaves while its run's model loads: the run is stopped then, and never starts once the model is read. */
    @Test
    void aRunStoppedWhileItsModelLoadsNeverStarts() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        List<ServerEvent.RunEvent> events = new CopyOnWriteArrayList<>();
        ComputeService service = service(store, events);
        try {
            CompletableFuture<ComputeApi.Accepted> b;
            synchronized (store) {
                b = service.startWhenScored("b", "B", start("mnist-cnn", "conv2"));
                assertTrue(service.call(() -> service.stop("b")).get(10, TimeUnit.SECONDS), "the stop finds the run starting");
            }
            b.get(1, TimeUnit.MINUTES);
            assertEquals(List.of(), service.call(service::list).get(10, TimeUnit.SECONDS), "no run was left behind");
            assertFalse(service.call(() -> service.stop("b")).get(10, TimeUnit.SECONDS), "it is gone");
            Thread.sleep(200); // events go out through the encoder's queue
            assertEquals(List.of("Preparing loading model mnist-cnn", "Done STOPPED"), events.stream().map(e -> e instanceof ServerEvent.Done d
                    ? "Done " + d.reason() : e instanceof ServerEvent.Preparing p ? "Preparing " + p.reason() : e.getClass().getSimpleName()).toList(),
                    "its client heard why it waited, then its done");
        } finally {
            service.shutdown(10_000);
        }
    }

    /** A model that cannot be read, read on the loader thread: its start is refused as before, with the one-line 404. */
    @Test
    void aModelThatCannotBeReadIsRefusedAsBefore(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("broken.onnx"), new byte[] {1, 2, 3, 4, 5});
        ComputeService service = service(new ModelStore(dir, NetworkCache.unbounded()), new CopyOnWriteArrayList<>());
        try {
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> service.startWhenScored("b", "B", start("broken", "conv1")).get(1, TimeUnit.MINUTES));
            ApiError error = ApiError.of(refused.getCause());
            assertEquals(404, error.status(), error.toString());
            assertTrue(error.message().startsWith("model 'broken' cannot be used: ") && !error.message().contains("\n"), error.message());
            assertEquals(List.of(), service.call(service::list).get(10, TimeUnit.SECONDS));
        } finally {
            service.shutdown(10_000);
        }
    }

    private static ComputeService service(ModelStore store, List<ServerEvent.RunEvent> events) {
        return new ComputeService(store, 0, new ComputeService.Settings(4, 4, 4L << 30, 1L << 30, WEDGED_AFTER_MS, 3_000, false, 1),
                (run, message, droppable) -> {
                    if (message instanceof ServerEvent.RunEvent e) {
                        events.add(e);
                    }
                });
    }

    /** Run a's step, asked as a command: answered within seconds unless the worker is held. */
    private static int stepOfA(ComputeService service) throws Exception {
        return service.call(() -> service.list().stream().filter(r -> r.run().equals("a")).findFirst().orElseThrow().step())
                .get(5, TimeUnit.SECONDS);
    }

    private static ClientMessage.Start start(String model, String layer) throws Protocol.BadMessage {
        return (ClientMessage.Start) Protocol.decode("{\"op\": \"start\", \"model\": \"" + model + "\", \"steps\": 100000,"
                + " \"objective\": {\"type\": \"channel\", \"layer\": \"" + layer + "\", \"filter\": 0}}");
    }
}
