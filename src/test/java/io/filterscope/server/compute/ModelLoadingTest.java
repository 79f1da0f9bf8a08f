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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's first read (inception_v3's .h5 took 52-92 s on a busy 2-core machine) and a run's network's compile (about
 * 5 s for inception_v3 at 299 px) happen off the compute threads and their lock: a running run keeps stepping, and other
 * clients' commands are answered, while they last; the run's client hears why it waits, a run stopped meanwhile never
 * starts, and two starts that need one network share its compile. A read is held up by holding the store's monitor,
 * under which {@link ModelStore#load} reads a model not loaded yet: mnist-cnn's read lasts as long as the test says, on
 * whichever thread it happens; a compile by holding the store's network cache's monitor, which lending a network takes
 * first (a running run's steps do not touch the cache).
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
                assertAStepsWhile(service, "mnist-cnn is read");
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

    @Test
    void runsStepWhileAnotherRunsNetworkCompiles() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        List<ServerEvent.RunEvent> events = new CopyOnWriteArrayList<>();
        ComputeService service = service(store, events);
        try {
            service.startWhenScored("a", "A", sized("fashion-cnn", "conv1", 0, 28)).get(2, TimeUnit.MINUTES);
            warm(service, "mnist-cnn");
            CompletableFuture<ComputeApi.Accepted> b;
            synchronized (store.networks()) {
                b = service.startWhenScored("b", "B", sized("mnist-cnn", "conv2", 0, 40));
                awaitReason(events, "b", "compiling mnist-cnn for 1 image of 40 px");
                assertAStepsWhile(service, "b's network is compiled");
                assertFalse(b.isDone(), "b's start waits for its network");
            }
            assertEquals(0, b.get(1, TimeUnit.MINUTES).position());
            assertEquals(List.of("a", "b"), runs(service));
        } finally {
            service.shutdown(10_000);
        }
    }

    @Test
    void aRunStoppedWhileItsNetworkCompilesNeverStarts() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        List<ServerEvent.RunEvent> events = new CopyOnWriteArrayList<>();
        ComputeService service = service(store, events);
        try {
            warm(service, "mnist-cnn");
            CompletableFuture<ComputeApi.Accepted> b;
            synchronized (store.networks()) {
                b = service.startWhenScored("b", "B", sized("mnist-cnn", "conv2", 0, 40));
                awaitReason(events, "b", "compiling mnist-cnn for 1 image of 40 px");
                assertTrue(service.call(() -> service.stop("b")).get(10, TimeUnit.SECONDS), "the stop finds the run starting");
            }
            b.get(1, TimeUnit.MINUTES);
            assertEquals(List.of(), runs(service), "no run was left behind");
            Thread.sleep(200); // events go out through the encoder's queue
            assertEquals(List.of("preparing compiling mnist-cnn for 1 image of 40 px", "done stopped"), eventsOf(events, "b"),
                    "its done, and no started");
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * Two clients start runs of one model, layer and size at once: the second waits for the first's compile rather than
     * compiling the same network again, then joins the first's batch, whose network for both is compiled off the lock too.
     */
    @Test
    void twoStartsOfOneNetworkShareItsCompile() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        List<ServerEvent.RunEvent> events = new CopyOnWriteArrayList<>();
        ComputeService service = service(store, events);
        try {
            warm(service, "fashion-cnn");
            CompletableFuture<ComputeApi.Accepted> b1;
            CompletableFuture<ComputeApi.Accepted> b2;
            synchronized (store.networks()) {
                b1 = service.startWhenScored("b1", "B1", sized("fashion-cnn", "conv2", 0, 40));
                b2 = service.startWhenScored("b2", "B2", sized("fashion-cnn", "conv2", 1, 40));
                awaitReason(events, "b1", "compiling fashion-cnn for 1 image of 40 px");
                Thread.sleep(500);
                assertEquals(List.of(), eventsOf(events, "b2"), "b2 waits for b1's compile without compiling its own");
            }
            assertEquals(0, b1.get(1, TimeUnit.MINUTES).position());
            assertEquals(0, b2.get(1, TimeUnit.MINUTES).position());
            Thread.sleep(200);
            assertEquals(List.of("preparing compiling fashion-cnn for a batch of 2 runs' images at 40 px", "started"), eventsOf(events, "b2"),
                    "b2 compiled only the network it steps on with b1");
            assertEquals(Set.of("b1", "b2"), service.call(() -> service.batchmates("b1")).get(10, TimeUnit.SECONDS));
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

    /** A run of the model at its own size, started and stopped: its read and the lazy parts of a first run are done. */
    private static void warm(ComputeService service, String model) throws Exception {
        service.startWhenScored("warm-" + model, "W", sized(model, "conv2", 0, 28)).get(2, TimeUnit.MINUTES);
        service.call(() -> service.stop("warm-" + model)).get(10, TimeUnit.SECONDS);
    }

    private static void awaitReason(List<ServerEvent.RunEvent> events, String run, String reason) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && !reason.equals(reason(events, run))) {
            Thread.sleep(20);
        }
        assertEquals(reason, reason(events, run), run + "'s client hears why it waits");
    }

    private static String reason(List<ServerEvent.RunEvent> events, String run) {
        return events.stream().filter(e -> e.run().equals(run) && e instanceof ServerEvent.Preparing).map(e -> ((ServerEvent.Preparing) e).reason())
                .reduce((first, last) -> last).orElse(null);
    }

    private static List<String> eventsOf(List<ServerEvent.RunEvent> events, String run) {
        return events.stream().filter(e -> e.run().equals(run)).map(e -> e instanceof ServerEvent.Done d ? "done " + d.reason().name().toLowerCase()
                : e instanceof ServerEvent.Preparing p ? "preparing " + p.reason() : e.getClass().getSimpleName().toLowerCase()).toList();
    }

    private static List<String> runs(ComputeService service) throws Exception {
        return service.call(service::list).get(10, TimeUnit.SECONDS).stream().map(io.filterscope.server.protocol.RunSummary::run).toList();
    }

    /** Run a steps on, and the worker does not call itself wedged, for twice the wedged time while {@code what}. */
    private static void assertAStepsWhile(ComputeService service, String what) throws Exception {
        int before = stepOfA(service);
        Thread.sleep(2 * WEDGED_AFTER_MS);
        int after = stepOfA(service);
        assertTrue(after > before + 10, "run a stepped while " + what + ": step " + before + " then " + after);
        assertTrue(service.health().ok(), "the worker is not wedged while " + what + ": " + service.health());
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

    /** A start of the plain preset at {@code size} px. */
    private static ClientMessage.Start sized(String model, String layer, int filter, int size) throws Protocol.BadMessage {
        return (ClientMessage.Start) Protocol.decode("{\"op\": \"start\", \"model\": \"" + model + "\", \"steps\": 100000, \"size\": " + size
                + ", \"preset\": \"plain\", \"objective\": {\"type\": \"channel\", \"layer\": \"" + layer + "\", \"filter\": " + filter + "}}");
    }
}
