package io.filterscope.server.dispatch;

import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.compute.ComputeVerticle;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The front node's side of computation: answers {@link Addresses#COMPUTE} requests by forwarding each to
 * a compute worker (on this node or any other in the cluster). New runs go to the least loaded worker that
 * has the model; a run's later requests go to the worker that has it. Workers are known from their
 * heartbeats; one that falls silent is dead, and the clients of its runs are told so.
 */
public final class DispatchVerticle extends AbstractVerticle {
    /** A worker that misses this many heartbeats is dead (its runs are reported failed). */
    static final long DEAD_AFTER_MS = 3 * ComputeVerticle.HEARTBEAT_MS;
    /** Starting a run may first load its model, which takes a while for a large one. */
    private static final long WORKER_TIMEOUT_MS = 120_000;
    private static final long STATUS_TIMEOUT_MS = 2_000;

    private final WorkerDirectory directory = new WorkerDirectory(DEAD_AFTER_MS);
    private final String id = "f-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    /** This node: its health is that of its own workers, if it has any. */
    private final String node;

    public DispatchVerticle(String node) {
        this.node = node;
    }

    @Override
    public void start(Promise<Void> started) {
        vertx.eventBus().<JsonObject>consumer(Addresses.WORKERS, m -> directory.heartbeat(m.body(), System.currentTimeMillis()));
        vertx.setPeriodic(DEAD_AFTER_MS / 6, t -> expire());
        // Workers stop the runs of a front that stops saying it is alive (its clients went with it).
        vertx.setPeriodic(ComputeVerticle.HEARTBEAT_MS, t -> vertx.eventBus().publish(Addresses.FRONTS, new JsonObject().put("id", id)));
        vertx.eventBus().<JsonObject>localConsumer(Addresses.COMPUTE, this::handle).completion()
                .onSuccess(v -> vertx.eventBus().publish(Addresses.WORKERS_HELLO, new JsonObject()))
                .onComplete(started);
    }

    private void handle(Message<JsonObject> message) {
        JsonObject body = message.body();
        Future<Object> answer = switch (body.getString("action", "")) {
            case "start" -> start(body);
            case "stop" -> onRunWorker(body).recover(e -> e instanceof ApiError.ApiException
                    ? Future.succeededFuture(new JsonObject().put("stopped", false)) : Future.failedFuture(e));
            case "update" -> onRunWorker(body);
            case "list" -> askAll(new JsonObject().put("action", "list")).map(DispatchVerticle::concat);
            case "models" -> askAll(body).map(DispatchVerticle::mergeModels);
            case "model", "activations", "examples" -> onModelWorker(body.getString("model"), body);
            case "health" -> askAll(new JsonObject().put("action", "status")).map(this::health);
            case "stop-all" -> stopAll();
            default -> Future.failedFuture(ApiError.badRequest("unknown action").exception());
        };
        answer.onSuccess(message::reply).onFailure(error -> ApiError.of(error).failReply(message));
    }

    private Future<Object> start(JsonObject body) {
        JsonObject request = body.getJsonObject("request", new JsonObject());
        String model = request.getValue("model") instanceof String s ? s : null;
        String run = body.getString("run");
        return pickWorker(model).compose(worker -> {
            directory.place(run, worker, System.currentTimeMillis());
            return ask(worker, body.copy().put("front", id)).onFailure(e -> directory.forget(run));
        });
    }

    private Future<String> pickWorker(String model) {
        return directory.pick(model).map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(
                directory.workerIds().isEmpty() ? new ApiError(503, "no_worker", "no compute worker is connected").exception()
                        : directory.healthyWorkers().isEmpty() ? new ApiError(503, "no_worker", "no compute worker can serve now: "
                        + directory.states()).exception()
                        : ApiError.notFound("unknown model '" + model + "' (models on the workers: "
                        + String.join(", ", directory.models()) + ")").exception()));
    }

    private Future<Object> onModelWorker(String model, JsonObject body) {
        return pickWorker(model).compose(worker -> ask(worker, body));
    }

    private Future<Object> onRunWorker(JsonObject body) {
        String run = body.getString("run");
        return directory.workerOf(run).map(worker -> ask(worker, body))
                .orElseGet(() -> Future.failedFuture(ApiError.notFound("no run " + run).exception()));
    }

    private Future<Object> ask(String worker, JsonObject body) {
        // A status answer never waits for the device; a worker that cannot give one soon is as good as gone.
        long timeout = "status".equals(body.getString("action")) ? STATUS_TIMEOUT_MS : WORKER_TIMEOUT_MS;
        return vertx.eventBus().request(Addresses.worker(worker), body, new DeliveryOptions().setSendTimeout(timeout))
                .map(Message::body);
    }

    /**
     * Every live worker's answer; a worker that fails to answer is left out rather than failing the whole,
     * unless all fail: then the first one's failure is the answer.
     */
    private Future<List<Object>> askAll(JsonObject body) {
        List<Future<Object>> answers = directory.workerIds().stream().map(w -> ask(w, body)).toList();
        return Future.join(answers).recover(e -> Future.succeededFuture()).compose(v -> {
            List<Object> answered = answers.stream().filter(Future::succeeded).map(Future::result).toList();
            return answered.isEmpty() && !answers.isEmpty() ? Future.failedFuture(answers.get(0).cause())
                    : Future.succeededFuture(answered);
        });
    }

    private static JsonArray concat(List<Object> arrays) {
        JsonArray all = new JsonArray();
        arrays.forEach(a -> all.addAll((JsonArray) a));
        return all;
    }

    /** One entry per model id; a worker that can load the model wins over one that lists it with an error. */
    private static JsonArray mergeModels(List<Object> lists) {
        Map<String, JsonObject> byId = new LinkedHashMap<>();
        for (Object list : lists) {
            for (Object o : (JsonArray) list) {
                JsonObject m = (JsonObject) o;
                byId.merge(m.getString("id"), m, (old, next) -> old.containsKey("error") ? next : old);
            }
        }
        JsonArray merged = new JsonArray();
        byId.values().stream().sorted(java.util.Comparator.comparing(m -> m.getString("id"))).forEach(merged::add);
        return merged;
    }

    /**
     * Totals over the workers, plus each worker with its state. The status is "ok" when this node's own
     * workers are all ok (a node without any: when some worker is); else the state of one that is not
     * ("wedged", "dead", "out_of_memory"), or "no_workers".
     */
    private JsonObject health(List<Object> statuses) {
        List<JsonObject> list = statuses.stream().map(JsonObject.class::cast).toList();
        JsonArray workers = new JsonArray();
        list.forEach(w -> {
            JsonObject one = new JsonObject().put("id", w.getString("id")).put("state", w.getString("state", "ok"))
                    .put("backend", w.getString("backend")).put("device", w.getString("device")).put("models", w.getJsonArray("models"))
                    .put("runsActive", w.getInteger("runsActive")).put("runsQueued", w.getInteger("runsQueued"))
                    .put("memoryBudget", w.getLong("memoryBudget")).put("memoryReserved", w.getLong("memoryReserved"))
                    .put("networksCached", w.getLong("networksCached"));
            workers.add(w.containsKey("detail") ? one.put("detail", w.getString("detail")) : one);
        });
        List<JsonObject> own = list.stream().filter(w -> node.equals(w.getString("node"))).toList();
        java.util.function.Predicate<JsonObject> ok = w -> "ok".equals(w.getString("state", "ok"));
        String status;
        if (list.isEmpty()) {
            status = "no_workers";
        } else if (!own.isEmpty()) {
            status = own.stream().filter(ok.negate()).map(w -> w.getString("state")).findFirst().orElse("ok");
        } else {
            status = list.stream().anyMatch(ok) ? "ok" : list.get(0).getString("state");
        }
        return new JsonObject().put("status", status)
                .put("backend", distinct(list, "backend")).put("device", distinct(list, "device"))
                .put("runsActive", list.stream().mapToInt(w -> w.getInteger("runsActive", 0)).sum())
                .put("runsQueued", list.stream().mapToInt(w -> w.getInteger("runsQueued", 0)).sum())
                .put("workers", workers);
    }

    private static String distinct(List<JsonObject> workers, String key) {
        return workers.stream().map(w -> w.getString(key)).distinct().collect(Collectors.joining(", "));
    }

    /** Stops the runs this node placed (on shutdown); other fronts' runs on the same workers go on. */
    private Future<Object> stopAll() {
        List<Future<Object>> stops = new ArrayList<>();
        directory.placedRuns().forEach((worker, runs) -> runs.forEach(run ->
                stops.add(ask(worker, new JsonObject().put("action", "stop").put("run", run)).otherwise(e -> null))));
        return Future.join(stops).map(all -> new JsonObject().put("stopped", stops.size()));
    }

    private void expire() {
        directory.expire(System.currentTimeMillis()).forEach((worker, runs) -> runs.forEach(run ->
                vertx.eventBus().send(Addresses.run(run), new JsonObject().put("type", "done").put("run", run)
                        .put("reason", "failed").put("message", "the compute worker " + worker
                                + " stopped answering; start the run again"))));
    }
}
