package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A run's network is compiled off the compute threads and their lock (inception_v3's for one image at 299 px took about
 * 5 s, and no run stepped meanwhile): running runs keep stepping, its client hears why it waits, a run stopped meanwhile
 * never starts, and two starts that need one network share its compile. The compile is held up by holding the store's
 * network cache's monitor, which lending a network takes first (a running run's steps do not touch the cache).
 */
class NetworkCompileTest {
    /** Time in one piece of work after which the worker calls itself wedged: shorter than the compiles held up here. */
    private static final long WEDGED_AFTER_MS = 1_500;

    @Test
    void runsStepWhileAnotherRunsNetworkCompiles() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        List<ServerEvent.RunEvent> events = new CopyOnWriteArrayList<>();
        ComputeService service = service(store, events);
        try {
            service.startWhenScored("a", "A", start("fashion-cnn", "conv1", 0, 28)).get(2, TimeUnit.MINUTES);
            warm(service, "mnist-cnn");
            CompletableFuture<ComputeApi.Accepted> b;
            synchronized (store.networks()) {
                b = service.startWhenScored("b", "B", start("mnist-cnn", "conv2", 0, 40));
                awaitReason(events, "b", "compiling mnist-cnn for 1 image of 40 px");
                int before = stepOfA(service);
                Thread.sleep(2 * WEDGED_AFTER_MS);
                int after = stepOfA(service);
                assertTrue(after > before + 10, "run a stepped while b's network was compiled: step " + before + " then " + after);
                assertTrue(service.health().ok(), "a compile is not the worker wedged: " + service.health());
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
                b = service.startWhenScored("b", "B", start("mnist-cnn", "conv2", 0, 40));
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
                b1 = service.startWhenScored("b1", "B1", start("fashion-cnn", "conv2", 0, 40));
                b2 = service.startWhenScored("b2", "B2", start("fashion-cnn", "conv2", 1, 40));
                awaitReason(events, "b1", "compiling fashion-cnn for 1 image of 40 px");
                Thread.sleep(500);
                assertEquals(List.of(), eventsOf(events, "b2"), "b2 waits for b1's compile without compiling its own");
            }
            assertEquals(0, b1.get(1, TimeUnit.MINUTES).position());
            assertEquals(0, b2.get(1, TimeUnit.MINUTES).position());
            Thread.sleep(200);
            assertEquals(List.of("preparing compiling fashion-cnn for 2 images of 40 px", "started"), eventsOf(events, "b2"),
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
        service.startWhenScored("warm-" + model, "W", start(model, "conv2", 0, 28)).get(2, TimeUnit.MINUTES);
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

    private static int stepOfA(ComputeService service) throws Exception {
        return service.call(() -> service.list().stream().filter(r -> r.run().equals("a")).findFirst().orElseThrow().step())
                .get(5, TimeUnit.SECONDS);
    }

    private static ClientMessage.Start start(String model, String layer, int filter, int size) throws Protocol.BadMessage {
        return (ClientMessage.Start) Protocol.decode("{\"op\": \"start\", \"model\": \"" + model + "\", \"steps\": 100000, \"size\": " + size
                + ", \"preset\": \"plain\", \"objective\": {\"type\": \"channel\", \"layer\": \"" + layer + "\", \"filter\": " + filter + "}}");
    }
}
