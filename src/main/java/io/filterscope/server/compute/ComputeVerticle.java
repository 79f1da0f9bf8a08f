package io.filterscope.server.compute;

import io.filterscope.engine.Backend;
import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.filterscope.server.protocol.Answers;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.ServerEvent;
import io.filterscope.server.protocol.WorkerStatus;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.List;
import java.util.UUID;

/**
 * The worker role: answers requests sent to its own {@link Addresses#worker} address with a
 * {@link ComputeService} that owns the device, sends each run's frames and events to {@link Addresses#run},
 * and publishes a heartbeat on {@link Addresses#WORKERS} so that dispatchers on any node know it is there,
 * what it has and how busy it is.
 */
public final class ComputeVerticle extends AbstractVerticle {
    /** How often a worker says it is alive; dispatchers give up on it after a few missed beats. */
    public static final long HEARTBEAT_MS = 1000;
    /**
     * The model list in heartbeats is re-read from disk this often, so dropped-in models appear. It is read on a
     * worker thread: a new or changed model file is parsed to list it (seconds for a large one), and an event
     * loop held that long missed heartbeats, so dispatchers took the worker for dead.
     */
    private static final long MODELS_REFRESH_MS = 10_000;

    private final ServerConfig config;
    private final int device;
    private final String id;
    /** The node this worker runs on: a front's health counts its own node's workers. */
    private final String node;
    private final ModelStore store;
    private ComputeService service;
    private List<String> models = List.of();
    private final FrontWatch fronts = new FrontWatch(3 * HEARTBEAT_MS);
    /** When the model list was last read (ms), and whether a reading is under way; both touched on the event loop only. */
    private long modelsReadAt;
    private boolean readingModels;

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
        long free = Backend.memoryBudget(device);
        long budget = config.limits().get(Limit.MEMORY_BUDGET) == 0 ? free : config.limits().get(Limit.MEMORY_BUDGET);
        // Networks kept for reuse are held whether or not runs need the room: a quarter of what is really there, even
        // under a budget set above it (a 64 GB budget kept 16 GB of networks on a 24 GB machine).
        long cache = config.limits().get(Limit.NETWORK_CACHE) == 0 ? Math.min(budget, free) / 4 : config.limits().get(Limit.NETWORK_CACHE);
        store.networks().setCapacity(Math.min(cache, budget));
        int threads = config.limits().count(Limit.COMPUTE_THREADS);
        if (threads == 0) {
            // One per core: runs on separate cores step at once (docs/performance.md, "Soak"); no more than can run at once.
            threads = Backend.name().equals("cuda") ? 1 : Math.min(Runtime.getRuntime().availableProcessors(), config.limits().activeRuns());
        }
        service = new ComputeService(store, device, new ComputeService.Settings(config.limits().activeRuns(),
                config.limits().queuedRuns(), budget, Math.min(cache, budget), config.limits().get(Limit.WEDGED_AFTER) * 1000,
                config.limits().get(Limit.STEP_TIME) * 1000, config.warmUp(), threads),
                // Published: the front that started the run listens, and so does any front whose clients watch it.
                (run, message, droppable) -> vertx.eventBus().publish(Addresses.run(run), message,
                        new DeliveryOptions().addHeader(Addresses.DROPPABLE, String.valueOf(droppable))));
        ComputeFirst priorities = new ComputeFirst(Backend.name().equals("cuda") ? 0 : config.limits().count(Limit.OTHERS_NICE));
        // First by compute thread 0 as it completes ready (every compute thread has started), then every heartbeat.
        service.ready().thenRun(priorities::lowerNewThreads);
        // Dispatchers hear of the worker once it takes work: after its calibration (and warm-up).
        Future.fromCompletionStage(service.ready(), context)
                .compose(v -> readModels())
                .compose(v -> EventBusService.serve(vertx, ComputeApi.Worker.class, Addresses.worker(id), new Api(), false))
                .onSuccess(v -> {
                    vertx.eventBus().consumer(Addresses.WORKERS_HELLO, m -> announce(false));
                    vertx.eventBus().<String>consumer(Addresses.FRONTS, m -> fronts.heard(m.body(), System.currentTimeMillis()));
                    vertx.setPeriodic(HEARTBEAT_MS, t -> {
                        announce(false);
                        priorities.lowerNewThreads();
                        stopOrphans();
                        if (!readingModels && System.currentTimeMillis() - modelsReadAt > MODELS_REFRESH_MS) {
                            readModels();
                        }
                    });
                    announce(false);
                }).onComplete(started);
    }

    private void announce(boolean leaving) {
        vertx.eventBus().publish(Addresses.WORKERS, status(leaving));
    }

    /** Re-reads the usable models on a worker thread; the heartbeats meanwhile name the list read before. */
    private Future<Void> readModels() {
        readingModels = true;
        return vertx.executeBlocking(() -> store.list().stream().filter(ModelStore.Entry::available).map(ModelStore.Entry::id).toList(), false)
                .andThen(read -> {
                    readingModels = false;
                    modelsReadAt = System.currentTimeMillis();
                    if (read.succeeded()) {
                        models = read.result();
                    }
                }).mapEmpty();
    }

    /** Who this worker is, what it has and how busy it is right now (read without waiting for a step). */
    private WorkerStatus status(boolean leaving) {
        ComputeService.Load load = service.load();
        ComputeService.Health health = service.health();
        return new WorkerStatus(id, node, Backend.name(), Backend.device(device), models, load.active(), load.queued(),
                load.runs(), leaving, health.state(), health.detail(), health.memoryBudget(), health.memoryReserved(),
                health.networksCached());
    }

    /** Runs whose front node has gone silent have nobody left to see them: stop them. */
    private void stopOrphans() {
        for (String run : fronts.orphans(service.load().runs(), System.currentTimeMillis())) {
            service.call(() -> service.stop(run));
        }
    }

    /**
     * This worker's answers: everything that touches the device runs on the compute thread, between two steps; a model
     * a request names is read first, off it ({@link ComputeService#withModel}).
     */
    private final class Api implements ComputeApi.Worker {
        @Override
        public Future<ComputeApi.Accepted> start(ComputeApi.StartRun request) {
            fronts.started(request.run(), request.front() == null ? "" : request.front(), System.currentTimeMillis());
            return answer(() -> service.startWhenScored(request.run(), request.client(), request.start()));
        }

        @Override
        public Future<Boolean> stop(String run) {
            return answer(() -> service.call(() -> service.stop(run)));
        }

        @Override
        public Future<ServerEvent.Updated> update(ComputeApi.UpdateRun request) {
            return answer(() -> service.call(() -> service.update(request.run(), request.params(), request.pace())));
        }

        @Override
        public Future<ComputeApi.RunList> list() {
            return answer(() -> service.call(() -> new ComputeApi.RunList(service.list())));
        }

        /**
         * The models in its folder, read now; those it can load are what its heartbeats name from now on. Read on a
         * Vert.x worker thread, as the heartbeats' lists are, not in the compute thread's query lane: listing parses no
         * network and needs no device, and in the lane a page's first request waited behind other clients' example
         * pictures and uploads (4 of 21,520 lists over 5 s in a 10-minute soak; docs/performance.md, "Soak").
         */
        @Override
        public Future<Answers.ModelList> models() {
            return answer(() -> vertx.executeBlocking(() -> service.queries().models(), false).toCompletionStage()
                    .toCompletableFuture()).onSuccess(list -> {
                models = list.models().stream().filter(Answers.ModelInfo::available).map(Answers.ModelInfo::id).toList();
                modelsReadAt = System.currentTimeMillis();
            });
        }

        @Override
        public Future<Answers.ModelDetail> model(ComputeApi.ModelRequest r) {
            return answer(() -> service.withModel(r.model(), () -> service.query(r.client(), () -> service.queries().model(r.model()))));
        }

        @Override
        public Future<Answers.ActivationMaps> activations(ComputeApi.MapsRequest r) {
            return answer(() -> service.withModel(r.model(), () -> service.query(r.client(), () -> service.queries().activations(
                    r.model(), r.layer(), r.image(), r.maxPixels(), r.maxSide(), r.eachMap()))));
        }

        @Override
        public Future<byte[]> activationMap(ComputeApi.MapsRequest r) {
            return answer(() -> service.withModel(r.model(), () -> service.query(r.client(), () -> service.queries().activationMap(
                    r.model(), r.layer(), r.image(), r.channel(), r.maxPixels(), r.maxSide()))));
        }

        @Override
        public Future<Answers.Examples> examples(ComputeApi.ExamplesRequest r) {
            return answer(() -> service.withModel(r.model(), () -> service.queryInPieces(r.client(),
                    () -> service.queries().examplesPiece(r.model(), r.layer(), r.filter(), r.n()))));
        }

        @Override
        public Future<Answers.Attribution> attribution(ComputeApi.AttributionRequest r) {
            return answer(() -> service.withModel(r.model(), () -> service.query(r.client(), () -> service.queries().attribution(r))));
        }

        @Override
        public Future<WorkerStatus> status() {
            return Future.succeededFuture(ComputeVerticle.this.status(false));
        }

        /**
         * The answer of {@code work}, with errors that do not show the server's models path; a worker that cannot
         * compute (dead, wedged, over its memory limit) says so at once rather than letting the caller time out.
         */
        private <T> Future<T> answer(java.util.function.Supplier<java.util.concurrent.CompletableFuture<T>> work) {
            ComputeService.Health health = service.health();
            if (!health.ok()) {
                return Future.failedFuture(new ApiError(503, "no_worker", "the compute worker " + id + " is "
                        + health.state().replace('_', ' ') + ": " + health.detail()).exception());
            }
            return Future.fromCompletionStage(work.get(), context).recover(error -> {
                ApiError e = ApiError.of(error);
                return Future.failedFuture(new ApiError(e.status(), e.code(), store.withoutDirectory(e.message())).exception());
            });
        }
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
