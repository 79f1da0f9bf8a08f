package io.filterscope.server.compute;

import io.filterscope.engine.Backend;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.BatchedAscent;
import io.filterscope.engine.render.RunParts;
import io.filterscope.engine.render.RunFailedException;
import io.filterscope.engine.render.StepResult;
import io.filterscope.model.ModelStore;
import io.filterscope.server.ApiError;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.RunSummary;
import io.filterscope.server.protocol.ServerEvent;
import io.filterscope.server.protocol.ServerEvent.Done;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compute device's owner: one thread runs every ND4J operation (ascent steps, model loading,
 * activation maps), so nothing else touches the device and the event loop never waits for it.
 * <p>
 * Commands (start, stop, update, list) are small and handled between any two pieces of work, so a stop
 * takes effect within one step. Steps of the running runs and HTTP queries take turns as a
 * {@link FairScheduler} says: fair between clients, with all queries together weighing a quarter of a client, so
 * every running run keeps a guaranteed share. A long query (a layer's first example ranking) takes its turns a
 * piece at a time ({@link #queryInPieces}), so no step waits behind all of it. Large steps leave one core to the
 * rest of the server.
 * <p>
 * Running runs of one model at the same network input size that read the same layers form a {@link Batch}:
 * when one of them has its turn, every member that is due steps with it in one minibatch
 * ({@link BatchedAscent}), and each member's client is charged its share of the step by its images. Members
 * keep their own parameters, seed, optimizer state, settings and pace, and their images are those they would
 * get alone. Runs join and leave a batch between steps; runs of other sizes or models form other batches,
 * which take turns as their clients' shares say. At most
 * {@link Settings#maxActive} runs compute at once; others wait, and the next to start is that of the client
 * with the fewest running runs. When a client waits while another holds two or more places more than it,
 * one of those runs is paused (it keeps its state) to make room.
 * <p>
 * Step time: a step is one piece of work nothing interrupts, so a run whose step would take longer than
 * {@link Settings#maxStepMs} by its network's and images' multiply-adds and the device's {@link DeviceSpeed} is refused, and runs join a
 * batch only while its steps stay within that time (else they form another batch of the same key).
 * <p>
 * Memory: a run whose network would need more than the worker's budget is refused before anything is
 * allocated; one that does not fit beside the running ones waits. Networks of ended runs stay in the store's
 * {@link io.filterscope.model.NetworkCache} within what the budget leaves free.
 * <p>
 * The thread survives anything a piece of work throws: an out-of-memory error fails the run or query that
 * met it, frees the cached networks and goes on. {@link #health} says when the thread is dead (it should
 * never be), wedged in one piece of work, or the process is over JavaCPP's memory limit.
 * Frames are encoded on a second thread, in order.
 */
public final class ComputeService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeService.class);
    /** Freeing at least this much native memory at once is worth a garbage collection and a trim, which give it back. */
    private static final long COLLECT_AFTER_FREEING = 64L << 20;

    /**
     * Where frames (Buffer) and events ({@link ServerEvent.RunEvent}) of a run go. A droppable frame is an intermediate one
     * that a client that falls behind may miss; last frames and events never are.
     */
    public interface Output {
        void send(String runId, Object message, boolean droppable);
    }

    /**
     * @param maxActive      runs computing at once
     * @param maxQueued      runs waiting
     * @param memoryBudget   bytes of native memory the runs' networks may take together
     * @param networkCache   bytes of networks of ended runs kept for reuse, within what the budget leaves free
     * @param wedgedAfterMs  time in one piece of work after which {@link #health} says the worker is wedged
     * @param maxStepMs      estimated time of one step (of a run alone, or of a batch of runs) above which a run is refused
     * @param warmUp         whether the worker first warms its models' usual paths ({@link WarmUp}, a few seconds) before it is {@link #ready}
     */
    public record Settings(int maxActive, int maxQueued, long memoryBudget, long networkCache, long wedgedAfterMs, long maxStepMs,
                           boolean warmUp) {
    }

    /** {@code state}: "ok", "wedged", "dead" or "out_of_memory"; {@code detail} says more when not ok. */
    public record Health(String state, String detail, long memoryBudget, long memoryReserved, long networksCached) {
        public boolean ok() {
            return "ok".equals(state);
        }
    }

    /** How busy this worker is, and which runs it has (running first, then waiting). */
    public record Load(int active, int queued, List<String> runs) {
    }

    /** A query waiting for its turn: each turn calls {@code piece}, until it gives the answer. */
    private record Query(Callable<Optional<Object>> piece, CompletableFuture<Object> result) {
    }

    private final ModelStore store;
    private final ModelQueries queries;
    private final Output out;
    private final Settings settings;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final ExecutorService encoder = Executors.newSingleThreadExecutor(r -> daemon(r, "filterscope-encoder"));
    /** Gives freed native memory back to the system, off the compute thread; one request at a time is enough. */
    private final ExecutorService reclaimer = Executors.newSingleThreadExecutor(r -> daemon(r, "filterscope-memory"));
    private final java.util.concurrent.atomic.AtomicBoolean reclaiming = new java.util.concurrent.atomic.AtomicBoolean();
    private final FairScheduler<Run, Query> scheduler = new FairScheduler<>();
    /** Every run: running, paused and waiting, in the order they came. */
    private final Map<String, Run> runs = new LinkedHashMap<>();
    /** Runs without a place, in the order they get one (paused runs go first). */
    private final List<Run> waiting = new ArrayList<>();
    /** Running runs by what they must share to step together: more than one batch of a key when one step would be too long. */
    private final Map<Batch.Key, List<Batch>> batches = new LinkedHashMap<>();
    /** The device's rate, calibrated when the compute thread starts (before any command) and raised by the steps it runs. */
    private DeviceSpeed speed;
    /** Bytes reserved by runs that hold a place, running or paused (written by the compute thread only). */
    private volatile long reserved;
    private final Thread thread;
    private volatile boolean closed;
    /** Done once the compute thread has calibrated (and warmed up) and takes work. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** When the compute thread began its current piece of work (System.nanoTime), or 0 between pieces. */
    private volatile long busySince;
    private volatile String busyWith = "";
    private volatile String deathCause;
    /**
     * What the compute thread last saw; read by other threads (heartbeats) without waiting for a step.
     * Refreshed where the runs change: after every command ({@link #call}) and when a run ends ({@link #finish}).
     */
    private volatile Load load = new Load(0, 0, List.of());

    /** @param device the device this service's one compute thread is pinned to (see {@link Backend#pinCurrentThread}) */
    public ComputeService(ModelStore store, int device, Settings settings, Output out) {
        this.store = store;
        this.settings = settings;
        this.queries = new ModelQueries(store, () -> settings.memoryBudget() - reserved);
        this.out = out;
        this.thread = daemon(() -> {
            try {
                Backend.pinCurrentThread(device);
                // Frames are encoded and sent, and queries read, while the next step computes, even for one run alone.
                Backend.shareCores(true);
                speed = DeviceSpeed.calibrate();
                if (settings.warmUp()) {
                    WarmUp.run(store, queries, speed);
                }
                LOG.info("compute worker {}: {} multiply-adds a second in networks, {} in images' own work", device,
                        String.format("%.3g", speed.networkRate()), String.format("%.3g", speed.imageRate()));
                ready.complete(null);
                loop();
            } finally {
                ready.completeExceptionally(new IllegalStateException("the compute thread stopped before it took work"));
                if (!closed) {
                    failEverything();
                }
            }
        }, "filterscope-compute-" + device);
        thread.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Completes when the worker has calibrated its device's speed (and warmed up, if its settings say so) and takes work. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    public ModelQueries queries() {
        return queries;
    }

    /** Runs the command {@code task} on the compute thread before the next step or query. */
    public <T> CompletableFuture<T> call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new ApiError(503, "no_worker", "the compute worker is shutting down").exception());
            return result;
        }
        commands.add(() -> {
            try {
                T value = task.call();
                refreshLoad();
                result.complete(value);
            } catch (Throwable t) {
                result.completeExceptionally(failure(t, "command"));
            }
        });
        return result;
    }

    /** Runs the HTTP query {@code task} of {@code client} on the compute thread when the scheduler gives it its turn. */
    public <T> CompletableFuture<T> query(String client, Callable<T> task) {
        return queryInPieces(client, () -> Optional.of(task.call()));
    }

    /**
     * Runs a long HTTP query of {@code client} a piece at a time: each turn the scheduler gives the query calls
     * {@code piece} once, which does a bounded part of the work and returns the answer, or empty to be called again
     * at the query's next turn. Steps of the running runs (and other queries) go between two pieces as the
     * scheduler says, so none waits for more than about one piece.
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> queryInPieces(String client, Callable<Optional<T>> piece) {
        CompletableFuture<Object> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new ApiError(503, "no_worker", "the compute worker is shutting down").exception());
        } else {
            Callable<Optional<Object>> untyped = () -> (Optional<Object>) piece.call();
            commands.add(() -> scheduler.addQuery(client, new Query(untyped, result)));
        }
        return (CompletableFuture<T>) result;
    }

    /**
     * Accepts a run ({@link #start}) once the example pictures it starts from ({@code init} examples) are scored at
     * its layers: a layer's first such run scores them first in the query lane of {@code client}, a slice a turn
     * (as a first {@code examples} query does), rather than all at once inside its start, which held the compute
     * thread for a second or more.
     */
    public CompletableFuture<ComputeApi.Accepted> startWhenScored(String runId, String client, ClientMessage.Start request) {
        return call(() -> startPicturesScored(request))
                .thenCompose(scored -> scored ? CompletableFuture.completedFuture(true)
                        : queryInPieces(client, () -> startPicturesScored(request) ? Optional.of(true) : Optional.<Boolean>empty()))
                .thenCompose(scored -> call(() -> start(runId, client, request)));
    }

    /** Scores a slice of what the run of {@code request} starts from, if any is left; returns whether none is. */
    private boolean startPicturesScored(ClientMessage.Start request) {
        RunRequest parsed = RunRequest.parse(request, store::load);
        RunParts parts = parsed.parts();
        return !AscentRun.startsFromExamples(parts) || parts.examples().scoreSlice(parsed.objectives(), parsed.size());
    }

    // --- commands, on the compute thread ---

    /**
     * Accepts a run of {@code client}: it starts now if the device has room, else it waits.
     *
     * @throws ApiError.ApiException 413 too_large when its network alone would need more than the memory budget, or
     *                               its step would take longer than the step-time limit; 429 too_many_runs when
     *                               the queue is full
     */
    public ComputeApi.Accepted start(String runId, String client, ClientMessage.Start request) {
        if (runs.containsKey(runId)) {
            throw ApiError.badRequest("run id " + runId + " is taken").exception();
        }
        RunRequest parsed = RunRequest.parse(request, store::load);
        RunParts parts = parsed.parts();
        Batch.Key key = Batch.Key.of(parsed, parts);
        long need = parsed.model().bytesFor(parsed.objectives().size(), key.inputSize(), key.layers());
        if (need > settings.memoryBudget()) {
            throw new ApiError(413, "too_large", parsed.objectives().size() + " images of " + parsed.size() + " px on "
                    + parsed.model().id() + " need about " + mb(need) + " of memory, more than this worker's budget of "
                    + mb(settings.memoryBudget()) + "; ask for fewer images or a smaller size").exception();
        }
        long imageWork = parsed.imageMultiplyAdds(parts);
        double seconds = stepSeconds(key, parsed.objectives().size(), imageWork);
        if (seconds * 1000 > settings.maxStepMs()) {
            throw new ApiError(413, "too_large", parsed.objectives().size() + " images of " + parsed.size() + " px to "
                    + String.join(", ", key.layers()) + " on " + parsed.model().id()
                    + " take about " + String.format(java.util.Locale.ROOT, "%.1f", seconds) + " s a step on this worker, more than its limit of "
                    + settings.maxStepMs() / 1000.0 + " s (every other run waits that long); ask for fewer filters or a smaller size").exception();
        }
        if (running() >= settings.maxActive() && waiting.size() >= settings.maxQueued()) {
            throw new ApiError(429, "too_many_runs", "too many runs: " + running() + " running and "
                    + waiting.size() + " waiting; try again later").exception();
        }
        Run run = new Run(runId, client == null ? "" : client, parsed, need, imageWork);
        runs.put(runId, run);
        waiting.add(run);
        RuntimeException own = promote(run);
        if (own != null) {
            throw own;
        }
        return new ComputeApi.Accepted(runId, run.running ? 0 : waiting.indexOf(run) + 1);
    }

    public boolean stop(String runId) {
        Run run = runs.get(runId);
        if (run == null) {
            return false;
        }
        if (run.running) {
            if (run.lastFramesLossy) {
                sendFrames(run, run.ascent.stepsDone(), run.lastValues, run.ascent.displayImages(), true);
            }
            end(run, Done.Reason.STOPPED, null);
        } else {
            waiting.remove(run);
            runs.remove(runId);
            finish(run, Done.Reason.STOPPED, null);
            promote(null); // a paused run gave its memory back
            announcePositions();
        }
        return true;
    }

    public ServerEvent.Updated update(String runId, com.fasterxml.jackson.databind.JsonNode params, Integer pace) {
        Run run = runs.get(runId);
        if (run == null) {
            throw ApiError.notFound("no run " + runId).exception();
        }
        if ((params == null || !params.isObject()) && pace == null) {
            throw ApiError.badRequest("update needs a \"params\" object or a \"pace\"").exception();
        }
        RunRequest next = params == null ? run.request : run.request.with(run.request.settings().with(params));
        if (pace != null) {
            next = next.withPace(pace);
        }
        var parts = next.parts();
        int step;
        if (run.ascent != null) {
            run.ascent.update(parts);
            step = run.ascent.stepsDone();
        } else {
            step = 0;
        }
        run.request = next;
        if (run.batch != null && !run.batch.key.equals(Batch.Key.of(next, parts))) {
            // Its objectives now read other layers: it steps with the runs that read those.
            leave(run);
            join(run, parts);
        }
        return new ServerEvent.Updated(runId, step);
    }

    public List<RunSummary> list() {
        List<RunSummary> all = new ArrayList<>();
        runs.values().stream().filter(r -> r.running).forEach(r -> all.add(r.summary()));
        waiting.forEach(r -> all.add(r.summary()));
        return all;
    }

    // --- the loop ---

    private void loop() {
        while (!closed) {
            try {
                long wait = scheduler.hasWork() ? untilDue() : TimeUnit.SECONDS.toNanos(1);
                Runnable command = wait == 0 ? commands.poll() : commands.poll(wait, TimeUnit.NANOSECONDS);
                if (command != null) {
                    timed("a command", command);
                    continue;
                }
                long now = System.nanoTime();
                FairScheduler.Turn<Run, Query> turn = scheduler.next(r -> r.due(now));
                if (turn == null) {
                    continue;
                }
                long started = System.nanoTime();
                if (turn.query() != null) {
                    timed("a query", () -> answer(turn));
                    scheduler.charge(turn, System.nanoTime() - started);
                } else {
                    Batch batch = turn.run().batch;
                    List<Run> stepping = batch.members.stream().filter(r -> r == turn.run() || r.dueSoon(started)).toList();
                    stepping.forEach(r -> r.stepped(started));
                    timed(stepping.size() == 1 ? "a step of run " + turn.run().id : "a step of " + stepping.size() + " runs",
                            () -> step(batch, stepping));
                    scheduler.chargeRuns(shares(stepping, System.nanoTime() - started));
                }
            } catch (InterruptedException e) {
                // Only close() may stop the loop; any other interrupt is a stray one.
                Thread.interrupted();
            } catch (Throwable t) {
                failure(t, "the compute loop");
            }
        }
    }

    /** How long until a query or a running run is due: 0 when one is (an unpaced run always is). */
    private long untilDue() {
        if (scheduler.queriesWaiting() > 0) {
            return 0;
        }
        long now = System.nanoTime();
        return runs.values().stream().filter(r -> r.running).mapToLong(r -> r.untilDue(now)).min().orElse(0);
    }

    /** Runs one piece of work, marking the thread busy meanwhile so that {@link #health} can see it stuck. */
    private void timed(String what, Runnable work) {
        busyWith = what;
        busySince = System.nanoTime();
        try {
            work.run();
        } finally {
            busySince = 0;
        }
    }

    /** Does one piece of the turn's query: it is answered, failed, or waits for its next turn behind its client's other queries. */
    private void answer(FairScheduler.Turn<Run, Query> turn) {
        Query query = turn.query();
        try {
            Optional<Object> answer = query.piece().call();
            if (answer.isPresent()) {
                query.result().complete(answer.get());
            } else {
                scheduler.addQuery(turn.client(), query);
            }
        } catch (Throwable t) {
            query.result().completeExceptionally(failure(t, "a query"));
        }
    }

    /** Steps {@code stepping}, members of {@code batch}, together; sends their frames and ends those that are done or failed. */
    private void step(Batch batch, List<Run> stepping) {
        List<BatchedAscent.Outcome> outcomes;
        try {
            Network net = batch.network();
            trimCache();
            List<BatchedAscent.Placed> placed = new ArrayList<>();
            int row = 0;
            for (Run member : batch.members) {
                if (stepping.contains(member)) {
                    placed.add(new BatchedAscent.Placed(member.ascent, row));
                }
                row += member.images();
            }
            long started = DeviceSpeed.clock();
            outcomes = BatchedAscent.step(net, placed);
            // The network's every row is computed, spare ones too.
            speed.observe(batch.key.work(net.batch(), stepping.stream().mapToLong(r -> r.imageWork).sum()), DeviceSpeed.clock() - started);
        } catch (Throwable t) {
            ApiError error = ApiError.of(failure(t, stepping.size() == 1 ? "run " + stepping.get(0).id : "a batch of " + stepping.size() + " runs"));
            stepping.forEach(run -> end(run, Done.Reason.FAILED, error.message()));
            return;
        }
        for (int i = 0; i < stepping.size(); i++) {
            Run run = stepping.get(i);
            BatchedAscent.Outcome outcome = outcomes.get(i);
            if (outcome.failure() instanceof RunFailedException e) {
                end(run, Done.Reason.FAILED, e.getMessage());
            } else if (outcome.failure() != null) {
                end(run, Done.Reason.FAILED, ApiError.of(failure(outcome.failure(), "run " + run.id)).message());
            } else {
                StepResult result = outcome.result();
                run.lastValues = result.values();
                boolean last = run.ascent.finished();
                run.lastFramesLossy = FrameEncoder.lossy((int) result.images().size(3), last);
                sendFrames(run, result.step(), result.values(), result.images(), last);
                if (last) {
                    end(run, Done.Reason.COMPLETED, null);
                }
            }
        }
    }

    /** What each client owes for a step of {@code stepping} that took {@code nanos}: a share by its runs' images. */
    private static Map<String, Long> shares(List<Run> stepping, long nanos) {
        long images = stepping.stream().mapToLong(Run::images).sum();
        Map<String, Long> owed = new LinkedHashMap<>();
        stepping.forEach(r -> owed.merge(r.client, nanos * r.images() / images, Long::sum));
        return owed;
    }

    /**
     * Logs what a piece of work threw and turns it into the error its requester sees; after an out-of-memory
     * error, first frees what the worker can do without.
     */
    private Throwable failure(Throwable t, String where) {
        if (t instanceof OutOfMemoryError oom) {
            LOG.error("out of memory in {}: {}", where, oom.getMessage());
            long freed = freeMemory();
            return new ApiError(503, "out_of_memory", "the compute worker ran out of memory (" + firstLine(oom)
                    + "); freed " + mb(freed) + " of cached networks, try again or ask for less").exception();
        }
        if (t instanceof Error || t instanceof RuntimeException && !(t instanceof ApiError.ApiException)
                && !(t instanceof io.filterscope.UserError)) {
            LOG.error("{} failed", where, t);
        }
        return t;
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.split("\n")[0];
    }

    /** Drops every cached network and gives the memory they held back to the system. */
    private long freeMemory() {
        long freed = store.networks().trimTo(0);
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        System.gc();
        reclaim();
        return freed;
    }

    /**
     * Once the garbage holding freed networks is collected (ND4J frees their buffers when it collects their
     * wrappers, on its own thread), hands what malloc kept back to the system: else a process that once
     * rendered large images stays large.
     */
    private void reclaim() {
        if (reclaiming.compareAndSet(false, true)) {
            reclaimer.execute(() -> {
                try {
                    System.gc();
                    Thread.sleep(300);
                    System.gc();
                    Thread.sleep(300);
                    Backend.trimNativeHeap();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    reclaiming.set(false);
                }
            });
        }
    }

    private void refreshLoad() {
        List<String> ids = new ArrayList<>();
        runs.values().stream().filter(r -> r.running).forEach(r -> ids.add(r.id));
        waiting.forEach(r -> ids.add(r.id));
        load = new Load(running(), waiting.size(), ids);
    }

    public Load load() {
        return load;
    }

    private int running() {
        return runs.size() - waiting.size();
    }

    private void sendFrames(Run run, int step, double[] values, org.nd4j.linalg.api.ndarray.INDArray images, boolean last) {
        long[] shape = images.shape();
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        // The images are a fresh array of this step (never a view), so its buffer is exactly them.
        float[] all = images.data().asFloat();
        int per = c * h * w;
        for (int i = 0; i < shape[0]; i++) {
            float[] planes = Arrays.copyOfRange(all, i * per, (i + 1) * per);
            int index = i;
            Double loss = values == null ? null : values[i];
            int filter = Run.filterOf(run.request.objectives().get(i), i);
            encoder.execute(() -> out.send(run.id, FrameEncoder.encode(run.id, step, index, filter, loss, last, planes, c, w, h), !last));
        }
    }

    /** A running run ends: its place and memory go to the next. */
    private void end(Run run, Done.Reason reason, String message) {
        run.running = false;
        scheduler.removeRun(run.client, run);
        leave(run);
        runs.remove(run.id);
        finish(run, reason, message);
        promote(null);
        refreshLoad();
    }

    /** A run gives back the memory it reserved, and its batch its rows. */
    private void giveBack(Run run) {
        leave(run);
        if (run.holdsMemory) {
            reserved -= run.bytes;
            run.holdsMemory = false;
            long evicted = trimCache();
            if (evicted + run.bytes >= COLLECT_AFTER_FREEING) {
                reclaim(); // the network went, or the run's step temporaries were large
            }
            var workspaces = Nd4j.getWorkspaceManager();
            var workspace = workspaces.checkIfWorkspaceExists(io.filterscope.engine.Workspaces.STEP_ID)
                    ? workspaces.getWorkspaceForCurrentThread(io.filterscope.engine.Workspaces.STEP_ID) : null;
            if (workspace != null && workspace.getCurrentSize() > COLLECT_AFTER_FREEING) {
                // The steps' workspace grew to a large run's temporaries and never shrinks: let later runs size it afresh.
                workspaces.destroyWorkspace(workspace);
            }
        }
    }

    /** Keeps the networks of ended runs and resized batches within the cache's bound and what the budget leaves free. */
    private long trimCache() {
        return store.networks().trimTo(Math.min(settings.networkCache(), settings.memoryBudget() - reserved));
    }

    /**
     * A run joins a batch of the runs it can step with whose steps stay within the step-time limit with its images
     * (a new one if none), which makes room for its images when it has none spare.
     */
    private void join(Run run, RunParts parts) {
        Batch.Key key = Batch.Key.of(run.request, parts);
        List<Batch> ofKey = batches.computeIfAbsent(key, k -> new ArrayList<>());
        Batch batch = ofKey.stream().filter(b -> stepSeconds(key, b.images() + run.images(), b.imageWork() + run.imageWork) * 1000
                        <= settings.maxStepMs())
                .findFirst().orElseGet(() -> {
                    Batch added = new Batch(key);
                    ofKey.add(added);
                    return added;
                });
        batch.members.add(run);
        run.batch = batch;
    }

    /**
     * Seconds a step of {@code images} images of a batch of {@code key} takes at least on this worker's device, their
     * own work {@code imageWork} ({@link Run#imageWork}) included.
     */
    private double stepSeconds(Batch.Key key, int images, long imageWork) {
        return speed.seconds(key.work(images, imageWork));
    }

    /** A run leaves its batch (it ended or was paused); its rows stay spare, or the batch takes a smaller network at its next step. */
    private void leave(Run run) {
        Batch batch = run.batch;
        if (batch == null) {
            return;
        }
        batch.members.remove(run);
        run.batch = null;
        if (!batch.networkFits()) {
            batch.drop(); // too large for what its members now reserve, or no longer needed at all
        }
        if (batch.members.isEmpty()) {
            List<Batch> ofKey = batches.get(batch.key);
            ofKey.remove(batch);
            if (ofKey.isEmpty()) {
                batches.remove(batch.key);
            }
        }
    }

    private void reclaimIfWorthIt(long freed) {
        if (freed >= COLLECT_AFTER_FREEING) {
            reclaim();
        }
    }

    private void finish(Run run, Done.Reason reason, String message) {
        TileVerdicts tiles = null;
        try {
            tiles = reason == Done.Reason.COMPLETED && run.ascent != null ? TileVerdicts.of(run.request, run.ascent) : null;
        } catch (RuntimeException e) {
            // The run is done either way; only the captions of its tiles are missing.
            LOG.warn("could not judge the tiles of run {}: {}", run.id, e.toString());
        }
        giveBack(run);
        refreshLoad(); // before "done" goes out, so a client that then asks sees the run gone
        Done done;
        if (run.lastValues == null) {
            done = new Done(run.id, reason, run.step(), null, null, null, null, null, store.withoutDirectory(message));
        } else {
            List<Integer> dead = new ArrayList<>();
            for (int i = 0; i < run.lastValues.length; i++) {
                if (run.ascent.dead(i)) {
                    dead.add(Run.filterOf(run.request.objectives().get(i), i));
                }
            }
            done = new Done(run.id, reason, run.step(), Arrays.stream(run.lastValues).average().orElse(0),
                    Arrays.stream(run.lastValues).boxed().toList(), dead, tiles == null ? null : tiles.flat(),
                    tiles == null ? null : tiles.prefersFlat(), store.withoutDirectory(message));
        }
        emit(done);
    }

    /**
     * Gives free places to waiting runs, fairly between clients, pausing a run of a client that holds two or
     * more places more than the client of the next waiting run. A run whose activation fails ends "failed";
     * if that run is {@code caller}, it is forgotten instead and its error returned, for the start to answer.
     */
    private RuntimeException promote(Run caller) {
        RuntimeException callerFailed = null;
        boolean changed = false;
        while (!waiting.isEmpty()) {
            Run next = nextWaiting();
            if (!next.holdsMemory && next.bytes > settings.memoryBudget() - reserved) {
                // It waits until running runs give memory back; a paused run, whose memory is held already, may go.
                next = waiting.stream().filter(r -> r.holdsMemory).findFirst().orElse(null);
                if (next == null) {
                    break;
                }
            }
            if (running() >= settings.maxActive()) {
                Run victim = pausable(next.client);
                if (victim == null) {
                    break;
                }
                pause(victim);
            }
            waiting.remove(next);
            changed = true;
            try {
                activate(next);
            } catch (RuntimeException | OutOfMemoryError e) {
                Throwable t = failure(e, "starting run " + next.id);
                runs.remove(next.id);
                giveBack(next);
                if (next == caller) {
                    callerFailed = t instanceof RuntimeException r ? r : new IllegalStateException(t);
                } else {
                    finish(next, Done.Reason.FAILED, ApiError.of(t).message());
                }
            }
        }
        if (changed) {
            announcePositions();
        }
        return callerFailed;
    }

    /** The waiting run of the client with the fewest running runs; the first in line among equals. */
    private Run nextWaiting() {
        return waiting.stream().min(Comparator.comparingInt(r -> runningOf(r.client))).orElseThrow();
    }

    private int runningOf(String client) {
        // a handful of runs: counting is cheaper than keeping counts right
        return (int) runs.values().stream().filter(r -> r.running && r.client.equals(client)).count();
    }

    /**
     * A run to pause so that {@code client}'s waiting run gets a place: the latest of the client holding the
     * most places, if that is at least two more than {@code client} holds; else null.
     */
    private Run pausable(String client) {
        Map<String, Integer> places = new LinkedHashMap<>();
        runs.values().stream().filter(r -> r.running).forEach(r -> places.merge(r.client, 1, Integer::sum));
        String greediest = places.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        if (greediest == null || places.get(greediest) < places.getOrDefault(client, 0) + 2) {
            return null;
        }
        Run latest = null;
        for (Run r : runs.values()) {
            if (r.running && r.client.equals(greediest)) {
                latest = r;
            }
        }
        return latest;
    }

    private void pause(Run run) {
        run.running = false;
        scheduler.removeRun(run.client, run);
        leave(run);
        waiting.add(0, run);
        LOG.info("paused run {} of {} to make room for another client", run.id, run.client);
    }

    private void activate(Run run) {
        RunRequest r = run.request;
        if (!run.holdsMemory) {
            reclaimIfWorthIt(store.networks().trimTo(settings.memoryBudget() - reserved - run.bytes));
            reserved += run.bytes;
            run.holdsMemory = true;
        }
        RunParts parts = run.ascent != null ? run.ascent.parts() : r.parts();
        join(run, parts);
        if (run.ascent == null) {
            // The batch's network, with rows for this run: the run's shapes and layers are checked against it.
            run.ascent = new AscentRun(run.batch.network(), r.objectives(), parts, r.size(), r.steps(), r.seed());
        }
        run.running = true;
        scheduler.addRun(run.client, run);
        emit(new ServerEvent.Started(run.id, null));
    }

    private void announcePositions() {
        int position = 0;
        for (Run r : waiting) {
            emit(new ServerEvent.Queued(r.id, ++position, null));
        }
    }

    /** Events go through the encoder's queue too, so they arrive after the frames sent before them. */
    private void emit(ServerEvent.RunEvent event) {
        encoder.execute(() -> out.send(event.run(), event, false));
    }

    /** The compute thread is ending without close(): every run fails, so no client waits for frames that never come. */
    private void failEverything() {
        deathCause = "the compute thread stopped";
        LOG.error("the compute thread stopped; failing its runs");
        for (Run run : List.copyOf(runs.values())) {
            emit(new Done(run.id, Done.Reason.FAILED, run.step(), null, null, null, null, null,
                    "the compute worker stopped; start the run again"));
        }
        runs.clear();
        waiting.clear();
        batches.clear();
        refreshLoad();
    }

    // --- health, from any thread ---

    /** Whether the worker can serve: its thread alive, not stuck in one piece of work, the process within its memory limit. */
    public Health health() {
        String state = "ok";
        String detail = null;
        long since = busySince;
        long busyMs = since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
        if (!thread.isAlive() && !closed) {
            state = "dead";
            detail = deathCause == null ? "the compute thread is gone" : deathCause;
        } else if (busyMs > settings.wedgedAfterMs()) {
            state = "wedged";
            detail = "busy with " + busyWith + " for " + busyMs / 1000 + " s";
        } else if (Backend.overMemoryLimit()) {
            state = "out_of_memory";
            detail = "the process uses more memory than JavaCPP allows it (" + mb(org.bytedeco.javacpp.Pointer.maxPhysicalBytes()) + ")";
        }
        return new Health(state, detail, settings.memoryBudget(), reserved, store.networks().bytes());
    }

    static String mb(long bytes) {
        return bytes >= 10L << 30 ? (bytes >> 30) + " GB" : String.format(java.util.Locale.ROOT, "%.0f MB", bytes / 1048576.0);
    }

    /** Ends every run with "stopped" (on the compute thread); returns how many there were. */
    public int stopAll() {
        List<String> all = new ArrayList<>(runs.keySet());
        all.forEach(this::stop);
        return all.size();
    }

    /** Ends every run with "stopped" and stops the threads, waiting at most {@code millis} for the frames. */
    public void shutdown(long millis) {
        CompletableFuture<Integer> stopped = call(this::stopAll);
        try {
            stopped.get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("runs did not stop in time: {}", e.toString());
        }
        close();
        try {
            encoder.awaitTermination(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        encoder.shutdown();
        reclaimer.shutdownNow();
    }
}
