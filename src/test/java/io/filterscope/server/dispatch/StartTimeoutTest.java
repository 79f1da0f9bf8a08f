package io.filterscope.server.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.WorkerStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A start its worker does not answer: one that takes too long (reading a model for minutes on a busy machine), or one
 * whose worker dies meanwhile. Its client is told in one line, and the run is stopped on the worker if it may still
 * start there: it must not start later for a client that was told it failed (a newcomer's trial saw frames of such a run).
 */
class StartTimeoutTest {
    private final Vertx vertx = Vertx.vertx();
    /** The runs the fake worker was told to stop. */
    private final List<String> stopped = new CopyOnWriteArrayList<>();
    /** The answer to the fake worker's start: never given unless a test gives it. */
    private final Promise<ComputeApi.Accepted> startAnswer = Promise.promise();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aStartItsWorkerDoesNotAnswerInTimeIsStoppedThereAndSaidInOneLine() throws Exception {
        ComputeApi.Front front = frontWithSlowWorker(new DispatchVerticle("n1", 500));
        heartbeat();

        ApiError error = failureOfStart(front);

        assertEquals(new ApiError(503, "no_worker", "no compute worker answered within 0.5 s"), error);
        assertEquals(List.of("r1"), awaitStops(), "the run is stopped on the worker that may still start it");
    }

    @Test
    void aStartWhoseWorkerFallsSilentFailsWithinSecondsAndALateAcceptIsStopped() throws Exception {
        ComputeApi.Front front = frontWithSlowWorker(new DispatchVerticle("n1")); // the real five minutes to answer
        heartbeat(); // and never again

        long began = System.nanoTime();
        ApiError error = failureOfStart(front);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);

        assertEquals(new ApiError(503, "no_worker", "the compute worker w1 stopped answering while run r1 was starting;"
                + " start it again"), error);
        assertTrue(ms < 3 * DispatchVerticle.DEAD_AFTER_MS, "failed once the worker was found dead, not at the time-out: " + ms + " ms");
        assertTrue(stopped.isEmpty(), "nothing to stop yet: " + stopped);
        vertx.runOnContext(v -> startAnswer.complete(new ComputeApi.Accepted("r1", 0))); // it was only held, and answers late
        assertEquals(List.of("r1"), awaitStops(), "a run its client was told failed is stopped when its worker accepts it late");
    }

    /** A dispatcher in front of worker w1, which stops runs when asked and answers a start only with {@link #startAnswer}. */
    private ComputeApi.Front frontWithSlowWorker(DispatchVerticle dispatcher) throws Exception {
        Protocol.registerCodecs(vertx.eventBus());
        ComputeApi.Worker slow = (ComputeApi.Worker) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ComputeApi.Worker.class}, (self, method, args) -> switch (method.getName()) {
                    case "start" -> startAnswer.future(); // still reading its model
                    case "stop" -> {
                        stopped.add((String) args[0]);
                        yield Future.succeededFuture(true);
                    }
                    default -> Future.failedFuture(new IllegalStateException(method.getName() + " is not asked here"));
                });
        await(EventBusService.serve(vertx, ComputeApi.Worker.class, Addresses.worker("w1"), slow, true));
        await(vertx.deployVerticle(dispatcher));
        return EventBusService.proxy(vertx, ComputeApi.Front.class, Addresses.COMPUTE, 30_000);
    }

    private void heartbeat() {
        vertx.eventBus().publish(Addresses.WORKERS, new WorkerStatus("w1", "n1", "cpu", "cpu", List.of("tiny"), 0, 0, List.of(),
                false, "ok", null, 1 << 30, 0, 0));
    }

    private static ApiError failureOfStart(ComputeApi.Front front) throws Exception {
        ClientMessage.Start start = (ClientMessage.Start) Protocol.decode(
                "{\"op\":\"start\",\"model\":\"tiny\",\"steps\":3,\"objective\":{\"type\":\"channel\",\"layer\":\"c1\",\"filter\":0}}");
        Throwable failure = front.start(new ComputeApi.StartRun("r1", null, "127.0.0.1", start))
                .toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(20, TimeUnit.SECONDS);
        return ApiError.of(failure.getCause() != null ? failure.getCause() : failure);
    }

    private List<String> awaitStops() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stopped.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return List.copyOf(stopped);
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
