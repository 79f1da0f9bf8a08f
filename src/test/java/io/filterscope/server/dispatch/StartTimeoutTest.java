package io.filterscope.server.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.api.Test;

/**
 * A worker that does not answer a start in time (reading a model for minutes on a busy machine) is told to stop that
 * run: it must not start later for a client that was told it failed (a newcomer's trial saw frames of such a run).
 */
class StartTimeoutTest {
    @Test
    void aStartItsWorkerDoesNotAnswerInTimeIsStoppedThereAndSaidInOneLine() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Protocol.registerCodecs(vertx.eventBus());
            List<String> stopped = new CopyOnWriteArrayList<>();
            ComputeApi.Worker slow = (ComputeApi.Worker) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ComputeApi.Worker.class}, (self, method, args) -> switch (method.getName()) {
                        case "start" -> Promise.promise().future(); // still reading its model
                        case "stop" -> {
                            stopped.add((String) args[0]);
                            yield Future.succeededFuture(true);
                        }
                        default -> Future.failedFuture(new IllegalStateException(method.getName() + " is not asked here"));
                    });
            await(EventBusService.serve(vertx, ComputeApi.Worker.class, Addresses.worker("w1"), slow, true));
            await(vertx.deployVerticle(new DispatchVerticle("n1", 500)));
            vertx.eventBus().publish(Addresses.WORKERS, new WorkerStatus("w1", "n1", "cpu", "cpu", List.of("tiny"), 0, 0, List.of(),
                    false, "ok", null, 1 << 30, 0, 0));
            ComputeApi.Front front = EventBusService.proxy(vertx, ComputeApi.Front.class, Addresses.COMPUTE, 10_000);
            ClientMessage.Start start = (ClientMessage.Start) Protocol.decode("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":3}");

            Throwable failure = front.start(new ComputeApi.StartRun("r1", null, "127.0.0.1", start))
                    .toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(10, TimeUnit.SECONDS);

            ApiError error = ApiError.of(failure.getCause() != null ? failure.getCause() : failure);
            assertEquals(new ApiError(503, "no_worker", "no compute worker answered within 0.5 s"), error);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stopped.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of("r1"), stopped, "the run is stopped on the worker that may still start it");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
