package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.filterscope.engine.Backend;
import io.filterscope.engine.ThreadTicks;
import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker with two compute threads steps two runs at once, one on each, rather than both on one thread (where two
 * runs of one model, size and layer would share a minibatch): on a CPU of two cores a second thread is the idle core.
 */
class ComputeThreadsTest {
    private static final String START = """
            {"op": "start", "model": "fashion-cnn", "steps": 300, "objective": {"type": "channel", "layer": "conv1", "filter": %d}}""";

    /** A worker of the bundled models with two compute threads and room for two runs; each run's done lands in {@code done}. */
    private static ComputeService twoThreads(Map<String, CompletableFuture<ServerEvent.Done>> done) {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        return new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 120_000, 3_000, false, 2),
                (run, message, droppable) -> {
                    if (message instanceof ServerEvent.Done d) {
                        done.computeIfAbsent(run, r -> new CompletableFuture<>()).complete(d);
                    }
                });
    }

    /** Starts run {@code run} of {@code client} with more steps than any test waits for. */
    private static void startUnending(ComputeService service, String run, String client) throws Exception {
        startUnending(service, run, client, "conv1", 0);
    }

    /** Starts run {@code run} of {@code client} on filter {@code filter} of {@code layer}, with more steps than any test waits for. */
    private static void startUnending(ComputeService service, String run, String client, String layer, int filter) throws Exception {
        String unending = START.formatted(filter).replace("300", "100000").replace("conv1", layer);
        service.call(() -> service.start(run, client, (ClientMessage.Start) Protocol.decode(unending))).get(2, TimeUnit.MINUTES);
    }

    @Test
    void twoRunsStepOnTwoThreadsAndEachGetsItsDone() throws Exception {
        Map<String, CompletableFuture<ServerEvent.Done>> done = new ConcurrentHashMap<>();
        ComputeService service = twoThreads(done);
        try {
            int[] threads = service.call(() -> {
                service.start("r1", "one", (ClientMessage.Start) Protocol.decode(START.formatted(0)));
                service.start("r2", "two", (ClientMessage.Start) Protocol.decode(START.formatted(1)));
                return new int[] {service.threadOf("r1"), service.threadOf("r2")};
            }).get(2, TimeUnit.MINUTES);
            assertTrue(threads[0] >= 0 && threads[1] >= 0, "both run at once");
            assertNotEquals(threads[0], threads[1], "each on a thread of its own");
            for (String run : new String[] {"r1", "r2"}) {
                ServerEvent.Done d = done.computeIfAbsent(run, r -> new CompletableFuture<>()).get(2, TimeUnit.MINUTES);
                assertEquals(ServerEvent.Done.Reason.COMPLETED, d.reason(), run + ": " + d);
                assertEquals(300, d.steps(), run + " took every step");
            }
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * Runs of one model, size and layer that start one by one while others step spread evenly over both threads, and on
     * each thread step as one minibatch: a run placed on a thread whose batch is mid-step, which it cannot join then,
     * joins it once that step is over (before, such runs formed batches of their own beside it, for good).
     */
    @Test
    void runsOfOneKindStartingWhileOthersStepFormOneBatchOnEachThread() throws Exception {
        int runs = 16;
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(runs, 0, 4L << 30, 1L << 30, 120_000, 3_000, false, 2),
                (run, message, droppable) -> { });
        try {
            for (int i = 0; i < runs; i++) {
                startUnending(service, "r" + i, "c" + i, "conv4", i);
                Thread.sleep(10); // the runs started so far take steps meanwhile
            }
            Callable<Map<Integer, Set<Set<String>>>> batchesByThread = () -> {
                Map<Integer, Set<Set<String>>> on = new TreeMap<>();
                for (int i = 0; i < runs; i++) {
                    on.computeIfAbsent(service.threadOf("r" + i), t -> new HashSet<>()).add(service.batchmates("r" + i));
                }
                return on;
            };
            // A run placed mid-step joins its batch after that step: wait for the thread's steps, not for a set time.
            Map<Integer, Set<Set<String>>> batches = service.call(batchesByThread).get(2, TimeUnit.MINUTES);
            for (int tries = 0; tries < 100 && batches.values().stream().anyMatch(b -> b.size() > 1); tries++) {
                Thread.sleep(100);
                batches = service.call(batchesByThread).get(2, TimeUnit.MINUTES);
            }
            assertEquals(Set.of(0, 1), batches.keySet(), "the runs step on both threads: " + batches);
            for (Set<Set<String>> onThread : batches.values()) {
                assertEquals(1, onThread.size(), "one batch a thread: " + batches);
                assertEquals(runs / 2, onThread.iterator().next().size(), "half the runs on each thread: " + batches);
            }
        } finally {
            service.shutdown(10_000);
        }
    }

    /** A stop that comes while the run's step is under way on its thread ends it after that step, with every thread going on. */
    @Test
    void aStopDuringAStepEndsTheRunAfterIt() throws Exception {
        Map<String, CompletableFuture<ServerEvent.Done>> done = new ConcurrentHashMap<>();
        ComputeService service = twoThreads(done);
        try {
            startUnending(service, "r1", "one");
            startUnending(service, "r2", "two");
            // Commands go to whichever thread is free: with both stepping, each stop most often meets its run mid-step.
            for (int i = 0; i < 2; i++) {
                String run = "r" + (i + 1);
                assertTrue(service.call(() -> service.stop(run)).get(2, TimeUnit.MINUTES), run + " was there to stop");
                ServerEvent.Done d = done.computeIfAbsent(run, r -> new CompletableFuture<>()).get(2, TimeUnit.MINUTES);
                assertEquals(ServerEvent.Done.Reason.STOPPED, d.reason(), run + ": " + d);
            }
            assertEquals(0, service.call(service::list).get(1, TimeUnit.MINUTES).size(), "no run left");
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * A lone run's large step (128 px, over the small-step bound) takes every core but one, on two cores its compute
     * thread alone: its network is compiled for that, since oneDNN's primitives keep the threads they are made with
     * (compiled for every core, each of its convolutions woke an OpenMP worker beside the compute thread).
     */
    @Test
    void aLoneRunsLargeStepTakesEveryCoreButOne() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        assumeTrue(cores >= 2 && !Backend.name().equals("cuda") && ThreadTicks.available(), "one thread either way");
        CompletableFuture<Void> started = new CompletableFuture<>();
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 120_000, 3_000, false, 2),
                (run, message, droppable) -> {
                    if (message instanceof ServerEvent.Started) {
                        started.complete(null);
                    }
                });
        try {
            String large = START.formatted(0).replace("300", "100000").replace("conv1", "conv3").replace("\"steps\"", "\"size\": 128, \"steps\"");
            // As the server starts it: its network compiled on the worker's compiler thread.
            service.startWhenScored("r1", "one", (ClientMessage.Start) Protocol.decode(large)).get(2, TimeUnit.MINUTES);
            started.get(2, TimeUnit.MINUTES);
            Thread.sleep(1000);
            Map<String, Long> before = ThreadTicks.ofThreadsNamed("filterscope-compute-0");
            Thread.sleep(1500);
            assertEquals(cores - 1, ThreadTicks.atWork(before, ThreadTicks.ofThreadsNamed("filterscope-compute-0")),
                    "threads of the compute threads at work");
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * Commands keep their order when one waits for a step under way on the other thread: of two stops sent back to
     * back, the first ends the run and the second finds it gone (the second overtaking the first was seen through the
     * WebSocket as the first stop answered not_found).
     */
    @Test
    void backToBackStopsOfARunMidStepAreTakenInTheirOrder() throws Exception {
        Map<String, CompletableFuture<ServerEvent.Done>> done = new ConcurrentHashMap<>();
        ComputeService service = twoThreads(done);
        try {
            for (int i = 0; i < 20; i++) {
                String run = "r" + i;
                startUnending(service, run, "one");
                CompletableFuture<Boolean> first = service.call(() -> service.stop(run));
                CompletableFuture<Boolean> second = service.call(() -> service.stop(run));
                assertTrue(first.get(2, TimeUnit.MINUTES), run + ": the first stop ends it");
                assertFalse(second.get(2, TimeUnit.MINUTES), run + ": the second finds it gone");
            }
        } finally {
            service.shutdown(10_000);
        }
    }
}
