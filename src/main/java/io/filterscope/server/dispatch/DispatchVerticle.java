package io.filterscope.server.dispatch;

import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.compute.ComputeVerticle;
import io.filterscope.server.protocol.Answers;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.ServerEvent;
import io.filterscope.server.protocol.WorkerStatus;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front node's side of computation: answers this node's {@link ComputeApi.Front} calls by forwarding each
 * to a compute worker's {@link ComputeApi.Worker} (on this node or any other in the cluster). New runs go to
 * the least loaded worker that has the model; a run's later calls go to the worker that has it. Workers are
 * known from their heartbeats; one that falls silent is dead, and the clients of its runs are told so.
 */
public final class DispatchVerticle extends AbstractVerticle implements ComputeApi.Front {
    private static final Logger LOG = LoggerFactory.getLogger(DispatchVerticle.class);
    /** A worker that misses this many heartbeats is dead (its runs are reported failed). */
    static final long DEAD_AFTER_MS = 3 * ComputeVerticle.HEARTBEAT_MS;
    /** A status answer never waits for the device; a worker that cannot give one this soon is as good as gone. */
    private static final long STATUS_TIMEOUT_MS = 2_000;

    /** How often silent workers are looked for. */
    private static final long CHECK_EVERY_MS = DEAD_AFTER_MS / 6;

    private final WorkerDirectory directory = new WorkerDirectory(DEAD_AFTER_MS, CHECK_EVERY_MS);
    private final String id = "f-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    /** This node: its health is that of its own workers, if it has any. */
    private final String node;

    /** How long a worker has to answer a start (it may first read a large model). */
    private final long startTimeoutMs;
    /** Starts sent and not yet answered: failed at once when their worker is found dead. */
    private final Map<String, Promise<ComputeApi.Accepted>> starting = new HashMap<>();

    public DispatchVerticle(String node) {
        this(node, ComputeApi.START_TIMEOUT_MS);
    }

    /** With workers given {@code startTimeoutMs} to answer a start: a test's short wait for one that never does. */
    DispatchVerticle(String node, long startTimeoutMs) {
        this.node = node;
        this.startTimeoutMs = startTimeoutMs;
    }

    @Override
    public void start(Promise<Void> started) {
        vertx.eventBus().<WorkerStatus>consumer(Addresses.WORKERS, m -> directory.heartbeat(m.body(), System.currentTimeMillis()));
        vertx.setPeriodic(CHECK_EVERY_MS, t -> expire());
        // Workers stop the runs of a front that stops saying it is alive (its clients went with it).
        vertx.setPeriodic(ComputeVerticle.HEARTBEAT_MS, t -> vertx.eventBus().publish(Addresses.FRONTS, id));
        EventBusService.serve(vertx, ComputeApi.Front.class, Addresses.COMPUTE, this, true)
                .onSuccess(v -> vertx.eventBus().publish(Addresses.WORKERS_HELLO, null))
                .onComplete(started);
    }

    private ComputeApi.Worker worker(String worker) {
        return worker(worker, ComputeApi.TIMEOUT_MS);
    }

    private ComputeApi.Worker worker(String worker, long timeoutMs) {
        return EventBusService.proxy(vertx, ComputeApi.Worker.class, Addresses.worker(worker), timeoutMs);
    }

    @Override
    public Future<ComputeApi.Accepted> start(ComputeApi.StartRun request) {
        String run = request.run();
        return pickWorker(request.start().model()).compose(worker -> {
            directory.place(run, worker, System.currentTimeMillis());
            Promise<ComputeApi.Accepted> answer = Promise.promise();
            starting.put(run, answer);
            // A first run loads its model before the worker answers, seconds under load, while its heartbeats
            // (sent meanwhile) cannot list the run yet: the grace period for being listed starts at the answer.
            worker(worker, startTimeoutMs).start(request.withFront(id)).onComplete(reply -> {
                        starting.remove(run);
                        if (reply.succeeded() && answer.tryComplete(reply.result())) {
                            directory.accepted(run, worker, System.currentTimeMillis());
                            return;
                        }
                        if (reply.succeeded() || ApiError.of(reply.cause()).timedOut()) {
                            // Its client was told the start failed (the worker fell silent, or took too long), but the
                            // worker may still be reading a large model: it must not start the run later for nobody.
                            // A run stopped while starting never starts; the model's read goes on and stays read.
                            worker(worker).stop(run);
                        }
                        directory.forget(run);
                        if (reply.failed()) {
                            answer.tryFail(reply.cause());
                        }
                    });
            return answer.future();
        });
    }

    @Override
    public Future<Boolean> stop(String run) {
        return onRunWorker(run, w -> w.stop(run)).recover(e -> e instanceof ApiError.ApiException
                ? Future.succeededFuture(false) : Future.failedFuture(e));
    }

    @Override
    public Future<ServerEvent.Updated> update(ComputeApi.UpdateRun request) {
        return onRunWorker(request.run(), w -> w.update(request));
    }

    @Override
    public Future<ComputeApi.RunList> list() {
        return askAll(ComputeApi.Worker::list).map(lists -> new ComputeApi.RunList(
                lists.stream().flatMap(l -> l.runs().stream()).toList()));
    }

    @Override
    public Future<Answers.ModelList> models() {
        return askAll(ComputeApi.Worker::models).map(DispatchVerticle::mergeModels);
    }

    @Override
    public Future<Answers.ModelDetail> model(ComputeApi.ModelRequest request) {
        return pickWorker(request.model()).compose(w -> worker(w).model(request));
    }

    @Override
    public Future<Answers.ActivationMaps> activations(ComputeApi.MapsRequest request) {
        return pickWorker(request.model()).compose(w -> worker(w).activations(request));
    }

    @Override
    public Future<byte[]> activationMap(ComputeApi.MapsRequest request) {
        return pickWorker(request.model()).compose(w -> worker(w).activationMap(request));
    }

    @Override
    public Future<Answers.Examples> examples(ComputeApi.ExamplesRequest request) {
        return pickWorker(request.model()).compose(w -> worker(w).examples(request));
    }

    @Override
    public Future<Answers.Attribution> attribution(ComputeApi.AttributionRequest request) {
        return pickWorker(request.model()).compose(w -> worker(w).attribution(request));
    }

    @Override
    public Future<Answers.Health> health() {
        List<Future<WorkerStatus>> answers = directory.workerIds().stream()
                .map(w -> worker(w, STATUS_TIMEOUT_MS).status().otherwise(e -> null)).toList();
        return Future.join(answers).map(all -> health(answers.stream().map(Future::result).filter(r -> r != null).toList()));
    }

    /** Stops the runs this node placed (on shutdown); other fronts' runs on the same workers go on. */
    @Override
    public Future<Integer> stopAll() {
        List<Future<Boolean>> stops = new ArrayList<>();
        directory.placedRuns().forEach((worker, runs) -> runs.forEach(run ->
                stops.add(worker(worker).stop(run).otherwise(e -> false))));
        return Future.join(stops).map(all -> stops.size());
    }

    /**
     * A worker that has {@code model}; else 503 no_worker when none is connected, or 404 not_found: with the reason a
     * worker lists it unavailable for (as /api/models shows it), or naming the models the workers have.
     * <p>
     * The workers' heartbeats name the models they read from their folders every few seconds
     * ({@link ComputeVerticle}), so a file dropped in since is not among them yet: before answering 404, each worker
     * is asked for its list once, read now from its folder (as /api/models is: files read before are not parsed
     * again), and a worker that now has the model is picked.
     */
    private Future<String> pickWorker(String model) {
        Optional<String> picked = directory.pick(model);
        if (picked.isPresent()) {
            return Future.succeededFuture(picked.get());
        }
        List<String> workers = directory.workerIds();
        if (workers.isEmpty()) {
            return Future.failedFuture(new ApiError(503, "no_worker", "no compute worker is connected").exception());
        }
        List<Future<Answers.ModelList>> lists = workers.stream().map(w -> worker(w).models()).toList();
        return Future.join(lists).<Void>mapEmpty().recover(e -> Future.succeededFuture()).compose(v -> {
            List<Answers.ModelList> answered = new ArrayList<>();
            for (int i = 0; i < workers.size(); i++) {
                if (lists.get(i).succeeded()) {
                    Answers.ModelList list = lists.get(i).result();
                    directory.listed(workers.get(i), list.models().stream().filter(Answers.ModelInfo::available)
                            .map(Answers.ModelInfo::id).toList());
                    answered.add(list);
                }
            }
            Optional<String> found = directory.pick(model);
            if (found.isPresent()) {
                return Future.succeededFuture(found.get());
            }
            if (answered.isEmpty()) {
                return Future.failedFuture(lists.get(0).cause()); // a wedged worker's 503, say
            }
            return Future.failedFuture(ApiError.notFound(mergeModels(answered).models().stream()
                    .filter(m -> m.id().equals(model) && m.error() != null).findFirst()
                    .map(m -> io.filterscope.model.ModelStore.cannotBeUsedMessage(model, m.error()))
                    .orElse("unknown model '" + model + "' (models on the workers: " + String.join(", ", directory.models()) + ")"))
                    .exception());
        });
    }

    private <T> Future<T> onRunWorker(String run, Function<ComputeApi.Worker, Future<T>> call) {
        return directory.workerOf(run).map(w -> call.apply(worker(w)))
                .orElseGet(() -> Future.failedFuture(ApiError.noRun(run).exception()));
    }

    /**
     * Every live worker's answer; a worker that fails to answer is left out rather than failing the whole,
     * unless all fail: then the first one's failure is the answer (a wedged worker's 503, say).
     */
    private <T> Future<List<T>> askAll(Function<ComputeApi.Worker, Future<T>> call) {
        List<Future<T>> answers = directory.workerIds().stream().map(w -> call.apply(worker(w))).toList();
        return Future.join(answers).<Void>mapEmpty().recover(e -> Future.succeededFuture()).compose(v -> {
            List<T> answered = answers.stream().filter(Future::succeeded).map(Future::result).toList();
            return answered.isEmpty() && !answers.isEmpty() ? Future.failedFuture(answers.get(0).cause())
                    : Future.succeededFuture(answered);
        });
    }

    /** One entry per model id; a worker that can load the model wins over one that lists it with an error. */
    private static Answers.ModelList mergeModels(List<Answers.ModelList> lists) {
        Map<String, Answers.ModelInfo> byId = new LinkedHashMap<>();
        for (Answers.ModelList list : lists) {
            for (Answers.ModelInfo m : list.models()) {
                byId.merge(m.id(), m, (old, next) -> old.error() != null ? next : old);
            }
        }
        return new Answers.ModelList(byId.values().stream().sorted(Comparator.comparing(Answers.ModelInfo::id)).toList());
    }

    /**
     * Totals over the workers, plus each worker with its state. The status is "ok" when this node's own
     * workers are all ok (a node without any: when some worker is); else the state of one that is not
     * ("wedged", "dead", "out_of_memory"), or "no_workers".
     */
    private Answers.Health health(List<WorkerStatus> statuses) {
        List<Answers.Worker> workers = statuses.stream().map(w -> new Answers.Worker(w.id(), w.state(), w.detail(), w.backend(),
                w.device(), w.models(), w.runsActive(), w.runsQueued(), w.memoryBudget(), w.memoryReserved(),
                w.networksCached())).toList();
        List<WorkerStatus> own = statuses.stream().filter(w -> node.equals(w.node())).toList();
        String status;
        if (statuses.isEmpty()) {
            status = "no_workers";
        } else if (!own.isEmpty()) {
            status = own.stream().filter(w -> !w.ok()).map(WorkerStatus::state).findFirst().orElse("ok");
        } else {
            status = statuses.stream().anyMatch(WorkerStatus::ok) ? "ok" : statuses.get(0).state();
        }
        return new Answers.Health(status, distinct(statuses, WorkerStatus::backend), distinct(statuses, WorkerStatus::device),
                statuses.stream().mapToInt(WorkerStatus::runsActive).sum(), statuses.stream().mapToInt(WorkerStatus::runsQueued).sum(),
                workers);
    }

    private static String distinct(List<WorkerStatus> workers, Function<WorkerStatus, String> field) {
        return workers.stream().map(field).distinct().collect(Collectors.joining(", "));
    }

    private void expire() {
        directory.expire(System.currentTimeMillis()).forEach((worker, runs) -> {
            LOG.warn("compute worker {} sent no heartbeat for {} ms while this front was awake: taken for dead, {} of its runs failed",
                    worker, DEAD_AFTER_MS, runs.size());
            runs.forEach(run -> {
                Promise<ComputeApi.Accepted> start = starting.remove(run);
                if (start != null) { // its client has no run yet: the start itself fails
                    start.tryFail(new ApiError(503, "no_worker", "the compute worker " + worker + " stopped answering while run "
                            + run + " was starting; start it again").exception());
                } else {
                    vertx.eventBus().send(Addresses.run(run), ServerEvent.Done.failed(run, "the compute worker " + worker
                            + " stopped answering; start the run again"));
                }
            });
        });
    }
}
