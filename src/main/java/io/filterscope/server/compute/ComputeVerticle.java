package io.filterscope.server.compute;

import io.filterscope.engine.Backend;
import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.Limit;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.ServerConfig;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The worker role: answers requests sent to its own {@link Addresses#worker} address with a
 * {@link ComputeService} that owns the device, sends each run's frames and events to {@link Addresses#run},
 * and publishes a heartbeat on {@link Addresses#WORKERS} so that dispatchers on any node know it is there,
 * what it has and how busy it is.
 */
public final class ComputeVerticle extends AbstractVerticle {
    /** How often a worker says it is alive; dispatchers give up on it after a few missed beats. */
    public static final long HEARTBEAT_MS = 1000;
    /** The model list in heartbeats is re-read from disk this often, so dropped-in models appear. */
    private static final long MODELS_REFRESH_MS = 10_000;

    private final ServerConfig config;
    private final int device;
    private final String id;
    /** The node this worker runs on: a front's health counts its own node's workers. */
    private final String node;
    private final ModelStore store;
    private ComputeService service;
    private JsonArray models = new JsonArray();
    private final FrontWatch fronts = new FrontWatch(3 * HEARTBEAT_MS);
    private long modelsReadAt;

    /** A worker for one device of node {@code node}; a machine with several GPUs runs one worker per device. */
    public ComputeVerticle(ServerConfig config, int device, String node) {
        this.config = config;
        this.device = device;
        this.node = node;
        this.id = "w-" + UUID.randomUUID().toString().substring(0, 8) + (device > 0 ? "-" + device : "");
        this.store = new ModelStore(config.models(), new NetworkCache(0));
    }

    /** How this worker is named in heartbeats, {@code /api/health} and failure messages. */
    public String id() {
        return id;
    }

    /** The service that owns this worker's device (for tests that must reach past the event bus). */
    public ComputeService service() {
        return service;
    }

    @Override
    public void start(Promise<Void> started) {
        long budget = config.limits().get(Limit.MEMORY_BUDGET);
        if (budget == 0) {
            budget = Backend.freeMemory(device) / 4 * 3;
        }
        long cache = config.limits().get(Limit.NETWORK_CACHE) == 0 ? budget / 4 : config.limits().get(Limit.NETWORK_CACHE);
        store.networks().setCapacity(Math.min(cache, budget));
        service = new ComputeService(store, device, new ComputeService.Settings(config.limits().activeRuns(),
                config.limits().queuedRuns(), budget, Math.min(cache, budget), config.limits().get(Limit.WEDGED_AFTER) * 1000),
                // Published: the front that started the run listens, and so does any front whose clients watch it.
                (run, message, droppable) -> vertx.eventBus().publish(Addresses.run(run), message,
                        new DeliveryOptions().addHeader(Addresses.DROPPABLE, String.valueOf(droppable))));
        vertx.eventBus().consumer(Addresses.WORKERS_HELLO, m -> announce(false));
        vertx.eventBus().<JsonObject>consumer(Addresses.FRONTS, m -> fronts.heard(m.body().getString("id"), System.currentTimeMillis()));
        vertx.setPeriodic(HEARTBEAT_MS, t -> {
            announce(false);
            stopOrphans();
        });
        vertx.eventBus().<JsonObject>consumer(Addresses.worker(id), this::handle).completion()
                .onSuccess(v -> announce(false)).onComplete(started);
    }

    private void announce(boolean leaving) {
        vertx.eventBus().publish(Addresses.WORKERS, status(leaving));
    }

    /** Who this worker is, what it has and how busy it is right now (read without waiting for a step). */
    private JsonObject status(boolean leaving) {
        long now = System.currentTimeMillis();
        if (now - modelsReadAt > MODELS_REFRESH_MS) {
            models = new JsonArray(store.list().stream()
                    .filter(ModelStore.Entry::available).map(ModelStore.Entry::id).toList());
            modelsReadAt = now;
        }
        ComputeService.Load load = service.load();
        ComputeService.Health health = service.health();
        JsonObject status = new JsonObject().put("id", id).put("node", node).put("backend", Backend.name())
                .put("device", Backend.device(device)).put("models", models).put("runsActive", load.active())
                .put("runsQueued", load.queued()).put("runs", new JsonArray(load.runs())).put("leaving", leaving)
                .put("state", health.state()).put("memoryBudget", health.memoryBudget())
                .put("memoryReserved", health.memoryReserved()).put("networksCached", health.networksCached());
        return health.detail() == null ? status : status.put("detail", health.detail());
    }

    /** Runs whose front node has gone silent have nobody left to see them: stop them. */
    private void stopOrphans() {
        for (String run : fronts.orphans(service.load().runs(), System.currentTimeMillis())) {
            service.call(() -> service.stop(run));
        }
    }

    private void handle(Message<JsonObject> message) {
        JsonObject body = message.body();
        String action = body.getString("action", "");
        ComputeService.Health health = action.equals("status") ? null : service.health();
        // A worker that cannot compute says so at once rather than letting requests wait for the timeout.
        CompletableFuture<?> answer = health != null && !health.ok()
                ? CompletableFuture.failedFuture(new ApiError(503, "no_worker", "the compute worker " + id + " is "
                        + health.state().replace('_', ' ') + ": " + health.detail()).exception())
                : answer(action, body);
        answer.whenComplete((reply, error) -> {
            if (error != null) {
                ApiError e = ApiError.of(error);
                new ApiError(e.status(), e.code(), store.withoutDirectory(e.message())).failReply(message);
            } else {
                message.reply(reply);
            }
        });
    }

    private CompletableFuture<?> answer(String action, JsonObject body) {
        String client = body.getString("client", "");
        return switch (action) {
            case "start" -> {
                fronts.started(body.getString("run"), body.getString("front", ""), System.currentTimeMillis());
                yield service.call(() -> service.start(body.getString("run"), client, body.getJsonObject("request")));
            }
            case "stop" -> service.call(() -> new JsonObject().put("stopped", service.stop(body.getString("run"))));
            case "update" -> service.call(() -> service.update(body.getString("run"), body.getJsonObject("params")));
            case "status" -> CompletableFuture.completedFuture(status(false));
            case "list" -> service.call(service::list);
            case "models" -> service.query(client, () -> service.queries().models());
            case "model" -> service.query(client, () -> service.queries().model(body.getString("model")));
            case "activations" -> service.query(client, () -> service.queries().activations(body.getString("model"),
                    body.getString("layer"), body.getBinary("image"), body.getInteger("channel"),
                    body.getInteger("maxPixels", config.limits().uploadPixels()),
                    body.getInteger("maxSide", config.limits().count(Limit.IMAGE_SIDE))));
            case "examples" -> service.query(client, () -> service.queries().examples(body.getString("model"),
                    body.getString("layer"), body.getInteger("filter"), body.getInteger("n")));
            default -> CompletableFuture.failedFuture(ApiError.badRequest("unknown action").exception());
        };
    }

    /**
     * Ends this worker's runs ("stopped") and tells the dispatchers it is gone rather than let them time out;
     * the event bus stays open a moment longer so those last messages leave this node.
     */
    @Override
    public void stop(Promise<Void> stopped) {
        service.shutdown(5000);
        if (vertx.isClustered()) {
            announce(true); // alone, the node's dispatcher is already gone
        }
        vertx.setTimer(LAST_MESSAGES_MS, t -> stopped.complete());
    }

    private static final long LAST_MESSAGES_MS = 300;
}
