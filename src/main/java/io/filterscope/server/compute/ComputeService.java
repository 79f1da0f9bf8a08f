package io.filterscope.server.compute;

import io.filterscope.MemorySize;
import io.filterscope.engine.Backend;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.BatchedAscent;
import io.filterscope.engine.render.HostImages;
import io.filterscope.engine.render.RunFailedException;
import io.filterscope.engine.render.RunParts;
import io.filterscope.engine.render.StepResult;
import io.filterscope.model.LoadedModel;
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
 * The compute device's owner: its compute threads ({@link ComputeThread}, {@link Settings#threads} of them) run every
 * ND4J operation on the device (ascent steps, activation maps), so the event loop never waits for it. A model's first
 * read (seconds; a minute for a large Keras file on a busy machine) is no such operation: it happens on a loader
 * thread before the command or query that needs the model ({@link #withModel}), so running runs keep stepping and
 * other clients are answered meanwhile; nor is compiling a run's network (seconds for inception_v3), done on a compiler
 * thread before the run starts ({@link #startCompiled}) or steps with other members ({@link #compileFor}). A running run
 * is placed on one of the compute threads (the one with the fewest running runs) and steps there; on a CPU of several
 * cores, runs on different threads step at once. Everything but a step's own computation, a query's piece and the
 * judging of a finished gallery's tiles happens under one lock (commands, placing runs, sending frames, ending runs),
 * so the worker's state has one writer at a time; a run whose step is under way on another thread is stopped, updated
 * or paused once that step is over. Query pieces, tile judgings and commands run one at a time over all threads (they
 * share models' cached networks and lazily read parts), each query's on the thread it was given to, a gallery's
 * judging on the thread that took its last step, after it.
 * <p>
 * Commands (start, stop, update, list) are small and handled between any two pieces of work, so a stop
 * takes effect within one step. On each thread, steps of its running runs and its HTTP queries take turns as its
 * {@link FairScheduler} says: fair between clients, with all queries together weighing a quarter of a client over
 * the whole worker, so every running run keeps a guaranteed share. A long query (a layer's first example ranking) takes its turns a
 * piece at a time ({@link #queryInPieces}), so no step waits behind all of it. Large steps leave one core to the
 * rest of the server, the others shared between the compute threads that step runs at the time ({@link Backend#shareCores}).
 * <p>
 * Running runs of one model at the same network input size that read the same layers form a {@link Batch}:
 * when one of them has its turn, every member that is due steps with it in one minibatch
 * ({@link BatchedAscent}), and each member's client is charged its share of the step by its images. Members
 * keep their own parameters, seed, optimizer state, settings and pace, and their images are those they would
 * get alone. Runs join and leave a batch between steps; runs of other sizes or models form other batches,
 * which take turns as their clients' shares say. Runs of one batch step on one thread. At most
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
    /** The longest a worker's warm-up may take, in seconds (its budget, {@code WarmUp.BUDGET_NANOS}). */
    public static final long WARM_UP_SECONDS = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(WarmUp.BUDGET_NANOS);
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
     * @param threads        compute threads that step runs at once ({@link ComputeThread}), at least 1
     */
    public record Settings(int maxActive, int maxQueued, long memoryBudget, long networkCache, long wedgedAfterMs, long maxStepMs,
                           boolean warmUp, int threads) {
        public Settings {
            if (threads < 1) {
                throw new IllegalArgumentException("a compute worker needs at least one compute thread, got " + threads);
            }
        }
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
    record Query(Callable<Optional<Object>> piece, CompletableFuture<Object> result) {
    }

    private final ModelStore store;
    private final ModelQueries queries;
    private final Output out;
    private final Settings settings;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final ExecutorService encoder = Executors.newSingleThreadExecutor(r -> daemon(r, "filterscope-encoder"));
    /** Gives freed native memory back to the system, off the compute thread; one request at a time is enough. */
    private final ExecutorService reclaimer = Executors.newSingleThreadExecutor(r -> daemon(r, "filterscope-memory"));
    /** Memory was freed while runs stepped: its collection waits until none does (under the lock). */
    private boolean collectionOwed;
    /** Collections asked for ({@link #reclaim}): what a test of when they happen reads. */
    private final java.util.concurrent.atomic.AtomicInteger collections = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean reclaiming = new java.util.concurrent.atomic.AtomicBoolean();
    /**
     * Reads models for the commands and queries that need them ({@link #withModel}), outside the lock and the compute
     * threads' turns, pinned to the worker's device as they are (a model's weights live there). One thread: the store
     * reads one model at a time anyway.
     */
    private final ExecutorService loader;
    /**
     * Compiles networks for starts and batches ({@link #startCompiled}, {@link #compileFor}) outside the lock and the
     * compute threads' turns, pinned to the worker's device: a thread of its own, so a compile for a loaded model does
     * not wait behind another model's read (a minute for inception_v3's .h5).
     */
    private final ExecutorService compiler;
    /**
     * Runs asked for ({@link #startWhenScored}) that do not exist yet, their model loading or their pictures being
     * scored: true once a stop came for one meanwhile (it then never starts). Added by the asker's thread, changed by
     * commands, removed when the start is answered.
     */
    private final Map<String, Boolean> starting = new java.util.concurrent.ConcurrentHashMap<>();
    /** What each run of {@link #starting} asked for, until its start is answered: {@link #list} shows it "preparing". */
    private final Map<String, ClientMessage.Start> preparing = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The last start asked for of each model ({@link #startWhenScored}): done when that start is over. A start is placed
     * only once the one of its model that came before it is, so runs asked for while their model loads or a layer's first
     * run is scored are placed in the order they came (four of mnist-cnn's conv2 with one place started the third). Per
     * model: a run of a model that is ready does not wait for another model's read.
     */
    private final Map<String, CompletableFuture<Void>> lastStartOf = new java.util.concurrent.ConcurrentHashMap<>();
    /** Networks being compiled ahead of starts ({@link #startCompiled}): done when the start that compiles it is over. */
    private final Map<NetworkShape, CompletableFuture<Void>> compiling = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Guards the worker's state (runs, batches, places, memory, the threads' schedulers); steps' own computation runs
     * outside it. Fair, so a command woken from {@link #awaitStep} gets it before the stepping thread's next turn could
     * put the run it waits for in flight again.
     */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock(true);
    /** Signalled (under {@link #lock}) when a step's computation is over, for a command waiting to touch one of its runs. */
    private final java.util.concurrent.locks.Condition stepEnded = lock.newCondition();
    /**
     * Held by a query's piece, a gallery's tile judging ({@link #judge}) and a command, so they run one at a time over
     * all threads: they share what steps do not touch, each model's cached networks ({@link
     * io.filterscope.model.LoadedModel#cached}), its lazily loaded parts, example scores and filter baselines. A command
     * waits for a piece or a judging under way on another thread (neither takes the lock).
     */
    private final Object queryOrCommand = new Object();
    /**
     * Completed galleries whose {@code done} waits for their tiles' verdicts (guarded by {@link #lock}): only a step
     * completes a run, and the thread that took that step judges them once it lets the lock go ({@link #step}).
     */
    private final List<Judging> unjudged = new ArrayList<>();
    /** Whether a thread is running a command (guarded by {@link #lock}; the command may be waiting for a step). */
    private boolean commandUnderWay;
    /** Every run: running, paused and waiting, in the order they came. */
    private final Map<String, Run> runs = new LinkedHashMap<>();
    /** Runs without a place, in the order they get one (paused runs go first). */
    private final List<Run> waiting = new ArrayList<>();
    /** Running runs by what they must share to step together: more than one batch of a key when one step would be too long. */
    private final Map<Batch.Key, List<Batch>> batches = new LinkedHashMap<>();
    /** The device's rate, calibrated when the first compute thread starts (before any command) and raised by the steps they run. */
    private DeviceSpeed speed;
    /** Bytes reserved by runs that hold a place, running or paused (written under {@link #lock} only). */
    private volatile long reserved;
    private final List<ComputeThread> threads = new ArrayList<>();
    private volatile boolean closed;
    /** Done once the first compute thread has calibrated (and warmed up) and the threads take work. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile String deathCause;
    /**
     * What the compute threads last saw; read by other threads (heartbeats) without waiting for a step.
     * Refreshed where the runs change: after every command ({@link #call}) and when a run ends ({@link #finish}).
     */
    private volatile Load load = new Load(0, 0, List.of());

    /** @param device the device this service's compute threads are pinned to (see {@link Backend#pinCurrentThread}) */
    public ComputeService(ModelStore store, int device, Settings settings, Output out) {
        this.store = store;
        this.settings = settings;
        this.queries = new ModelQueries(store, () -> settings.memoryBudget() - reserved);
        this.out = out;
        this.loader = pinnedThread(device, "filterscope-loader-" + device);
        this.compiler = pinnedThread(device, "filterscope-compiler-" + device);
        for (int i = 0; i < settings.threads(); i++) {
            threads.add(new ComputeThread(i, "filterscope-compute-" + device + (i == 0 ? "" : "-" + i), me -> {
                try {
                    Backend.pinCurrentThread(device);
                    // Frames are encoded and sent, and queries read, while the next step computes, even for one run alone.
                    Backend.shareCores(1);
                    if (me.index == 0) {
                        speed = DeviceSpeed.calibrate();
                        if (settings.warmUp()) {
                            WarmUp.run(store, queries, speed, WarmUp.BUDGET_NANOS, loader);
                        }
                        LOG.info("compute worker {}: {} multiply-adds a second in networks, {} in images' own work; {} compute threads",
                                device, String.format("%.3g", speed.networkRate()), String.format("%.3g", speed.imageRate()),
                                settings.threads());
                        threads.stream().skip(1).forEach(ComputeThread::start);
                        ready.complete(null);
                    }
                    loop(me);
                } finally {
                    ready.completeExceptionally(new IllegalStateException("the compute thread stopped before it took work"));
                    if (!closed) {
                        failEverything();
                    }
                }
            }));
        }
        threads.get(0).start();
    }

    /** A single daemon thread pinned to {@code device}, for work off the lock. */
    private static ExecutorService pinnedThread(int device, String name) {
        return Executors.newSingleThreadExecutor(r -> daemon(() -> {
            Backend.pinCurrentThread(device);
            // Networks compiled here step on the compute threads, whose steps take at most every core but one, and
            // oneDNN's primitives keep the threads they are made with: made for every core, each convolution of a
            // compute thread's step woke an OpenMP worker beside it, two threads on a core the other compute thread
            // was using (docs/performance.md, "Twenty-seventh session").
            Backend.shareCores(1);
            r.run();
        }, name));
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

    /** Runs the command {@code task} on whichever compute thread is free first, between two pieces of its work (under the lock). */
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
        wakeAll(); // any thread takes it
        return result;
    }

    private void wakeAll() {
        threads.forEach(t -> java.util.concurrent.locks.LockSupport.unpark(t.thread));
    }

    /** Runs the HTTP query {@code task} of {@code client} on a compute thread when its scheduler gives it its turn. */
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
            commands.add(() -> {
                ComputeThread on = queryThread();
                on.scheduler.addQuery(client, new Query(untyped, result));
                java.util.concurrent.locks.LockSupport.unpark(on.thread);
            });
            wakeAll();
        }
        return (CompletableFuture<T>) result;
    }

    /**
     * Does {@code then} (a command or query that reads model {@code id}) once the model is read. A model not read yet,
     * or whose files changed, is read first on the loader thread, outside the lock, so that no step, command or query
     * waits for it (inception_v3's .h5 took 52-92 s beside a running run; every client waited that long). Two asking
     * for one model at once have it read once (the store reads a model once). A null id (the request names none) goes
     * straight to {@code then}, which says what is wrong with the request.
     *
     * @return {@code then}'s answer; or the model's read error, as {@link ModelStore#load} throws it (a 404 "model 'x'
     *         cannot be used: ..." for a broken one; a 503 out_of_memory, after the worker freed its cached networks)
     */
    public <T> CompletableFuture<T> withModel(String id, java.util.function.Supplier<CompletableFuture<T>> then) {
        return withModel(id, false, then);
    }

    /**
     * {@link #withModel(String, java.util.function.Supplier)}; for a run ({@code forRun}), the rest of a model's first
     * preparation that does not depend on the request happens on the loader thread too: {@link LoadedModel#measureSizes},
     * which every run's preset asks for (20-40 s more for inception_v3, under the lock before), and its learned prior,
     * which the default preset asks for ({@link LoadedModel#prior}, a file of k + 1 images at the model's size).
     */
    private <T> CompletableFuture<T> withModel(String id, boolean forRun, java.util.function.Supplier<CompletableFuture<T>> then) {
        if (ready(id, forRun)) {
            return then.get();
        }
        return offTheLock(loader, "reading model " + id, () -> {
            LoadedModel model = store.load(id);
            if (forRun) {
                model.measureSizes().prior();
            }
            return model;
        }).thenCompose(model -> then.get());
    }

    /**
     * Whether model {@code id} needs nothing read (or, {@code forRun}, measured) before {@link #withModel}'s work: null
     * needs nothing. Its prior is read with its sizes.
     */
    private boolean ready(String id, boolean forRun) {
        LoadedModel now = store.loadedNow(id);
        return id == null || now != null && (!forRun || now.sizesMeasured());
    }

    /**
     * Does {@code work} ({@code what}, for the log and errors) on {@code thread} ({@link #loader} or {@link #compiler}),
     * outside the lock and the compute threads' turns.
     *
     * @return its answer; or what it threw ({@link #failure}: a 503 out_of_memory, after the worker freed its cached networks)
     */
    private <T> CompletableFuture<T> offTheLock(ExecutorService thread, String what, Callable<T> work) {
        CompletableFuture<T> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    done.complete(work.call());
                } catch (OutOfMemoryError e) {
                    // The cached networks it frees are the lock's.
                    call(() -> failure(e, what))
                            .whenComplete((error, closing) -> done.completeExceptionally(error != null ? error : closing));
                } catch (Throwable t) {
                    done.completeExceptionally(failure(t, what));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.completeExceptionally(new ApiError(503, "no_worker", "the compute worker is shutting down").exception());
        }
        return done;
    }

    /**
     * Accepts a run ({@link #start}) once its model is read ({@link #withModel}: off the lock, however long that takes)
     * and what a layer's first run measures is measured ({@link #firstRunWork}): the example pictures it starts from
     * ({@code init} examples) or that its contrast floor compares with flat colours, scored at its layers in the query
     * lane of {@code client}, a slice a turn (as a first {@code examples} query does), then the rest in one piece. Its
     * client hears why it waits ({@code preparing}) before any of that work begins: it used to be done inside the
     * start's first command, all pictures at once, so that the client waited 0.8-3 s in silence (emoji-cnn's conv3 and
     * conv4) and the compute thread was held as long.
     * A run stopped meanwhile ({@link #stop}: its client left, say) has had its {@code done} and never starts; its
     * start is then answered as accepted whatever became of the rest.
     */
    public CompletableFuture<ComputeApi.Accepted> startWhenScored(String runId, String client, ClientMessage.Start request) {
        starting.put(runId, false);
        preparing.put(runId, request);
        if (!ready(request.model(), true)) {
            emit(new ServerEvent.Preparing(runId, "loading model " + request.model(), null));
        }
        String model = String.valueOf(request.model());
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> before = lastStartOf.put(model, mine);
        CompletableFuture<Void> placed = before == null ? CompletableFuture.completedFuture(null) : before;
        CompletableFuture<ComputeApi.Accepted> answer = withModel(request.model(), true,
                        () -> call(() -> stoppedWhileStarting(runId) ? null : firstRunWork(request)))
                .thenCompose(work -> {
                    if (work == null) {
                        return CompletableFuture.completedFuture(true);
                    }
                    emit(new ServerEvent.Preparing(runId, work.reason(), null));
                    return queryInPieces(client, () -> stoppedWhileStarting(runId) || firstRunPiece(request, work.scoreExamples())
                            ? Optional.of(true) : Optional.<Boolean>empty());
                })
                .thenCompose(measured -> placed.thenCompose(v -> startCompiled(runId, client, request)))
                .handle((accepted, error) -> {
                    // Atomic against a stop (a command): either it found the run starting and sent its done, or not.
                    boolean stopped = Boolean.TRUE.equals(starting.remove(runId));
                    if (error == null || stopped) {
                        return accepted != null ? accepted : new ComputeApi.Accepted(runId, 0);
                    }
                    throw error instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(error);
                });
        answer.whenComplete((accepted, error) -> {
            preparing.remove(runId);
            lastStartOf.remove(model, mine);
            mine.complete(null);
        });
        return answer;
    }

    /**
     * What a layer's first run measures before its parts are built ({@link #firstRunWork}).
     *
     * @param reason        its {@code preparing} reason
     * @param scoreExamples whether the model's example pictures are to be scored at the run's layers first
     */
    private record FirstRun(String reason, boolean scoreExamples) {
    }

    /**
     * What must be measured before the parts of a run of {@code request} are built, found without measuring anything
     * (under the lock): its model's example pictures scored at its layers when it starts from them or its contrast floor
     * compares them with flat colours, and its layers' measures ({@link RunRequest#shapes}); null when nothing is.
     *
     * @throws ApiError.ApiException as {@link #refuseTooLarge}, before any of it
     */
    private FirstRun firstRunWork(ClientMessage.Start request) {
        RunRequest parsed = RunRequest.parse(request, store::load);
        java.util.Set<String> unmeasured = new java.util.TreeSet<>();
        RunParts shapes = parsed.shapes(unmeasured::add);
        refuseTooLarge(parsed, shapes); // before anything is measured: that takes networks and time
        LoadedModel model = parsed.model();
        boolean fromExamples = AscentRun.startsFromExamples(shapes) && parsed.size() == model.height();
        boolean scoreExamples = model.metadata().examples() != null && (fromExamples || !unmeasured.isEmpty())
                && !model.exampleActivations().scored(parsed.objectives());
        if (!scoreExamples && unmeasured.isEmpty()) {
            return null;
        }
        String layers = String.join(", ", parsed.objectives().stream().flatMap(o -> o.layers().stream()).distinct().toList());
        return new FirstRun((scoreExamples ? "scoring " + model.id() + "'s example pictures at " + layers
                : "measuring " + model.id() + "'s " + layers) + " (a layer's first run)", scoreExamples);
    }

    /**
     * One piece of {@link #firstRunWork}'s work for a run of {@code request}: a slice of the example pictures at its
     * layers while any is left ({@code scoreExamples}), then its parts built, which measures its layers on what is
     * scored now. Returns whether it is all done.
     */
    private boolean firstRunPiece(ClientMessage.Start request, boolean scoreExamples) {
        RunRequest parsed = RunRequest.parse(request, store::load);
        LoadedModel model = parsed.model();
        if (scoreExamples && !model.exampleActivations().scoreSlice(parsed.objectives(), model.height())) {
            return false;
        }
        parsed.parts();
        return true;
    }

    private boolean stoppedWhileStarting(String runId) {
        return Boolean.TRUE.equals(starting.get(runId));
    }

    /** A network to compile: for a batch of {@code key} with {@code rows} rows. */
    private record NetworkShape(Batch.Key key, int rows) {
        Network compile() {
            return key.model().borrow(rows, key.inputSize(), key.layers());
        }
    }

    /** A start's network to compile, with rows for the images of {@code runs} runs: the start's and its batchmates'. */
    private record ToCompile(NetworkShape shape, int runs) {
        /**
         * Why the start waits, in the words of its {@code preparing}: "compiling M for 1 image of 28 px", and for a batch
         * shared with other runs "compiling M for a batch of 2 runs' images at 28 px" (its user started one run).
         */
        String reason() {
            String model = shape.key().model().id();
            int px = shape.key().inputSize();
            return runs > 1 ? "compiling " + model + " for a batch of " + runs + " runs' images at " + px + " px"
                    : "compiling " + model + " for " + shape.rows() + (shape.rows() == 1 ? " image" : " images") + " of " + px + " px";
        }
    }

    /**
     * {@link #start}s the run, its network compiled first on the compiler thread, off the lock, when it would start now and
     * its batch would need one ({@link #networkToCompile}): compiling inception_v3 for one image at 299 px took about
     * 5 s, during which no run stepped when it was done inside the start. Its client hears why it waits ({@code
     * preparing}). Starts that need a network of one shape at once share its compile: the later waits until the
     * earlier's start is over, then looks again (it joins the earlier's batch, or takes an idle network, or compiles one
     * of its own to step beside it).
     */
    private CompletableFuture<ComputeApi.Accepted> startCompiled(String runId, String client, ClientMessage.Start request) {
        return call(() -> stoppedWhileStarting(runId) ? null : networkToCompile(request)).thenCompose(toCompile -> {
            if (toCompile == null) {
                return call(() -> start(runId, client, request, null, null));
            }
            NetworkShape shape = toCompile.shape();
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> earlier = compiling.putIfAbsent(shape, mine);
            if (earlier != null) {
                return earlier.thenCompose(v -> startCompiled(runId, client, request));
            }
            LoadedModel model = shape.key().model();
            emit(new ServerEvent.Preparing(runId, toCompile.reason(), null));
            return offTheLock(compiler, "compiling " + model.id(), shape::compile)
                    .thenCompose(net -> call(() -> start(runId, client, request, model, net)))
                    .whenComplete((accepted, error) -> {
                        compiling.remove(shape);
                        mine.complete(null);
                    });
        });
    }

    /**
     * The network run {@code request}'s batch would need to be compiled if it started now (under the lock): the one it
     * would join needs more rows, or it would step alone; null when it would wait for a place (its network is made
     * when it gets one), or its batch's network has room for it already, or one is idle in the cache.
     *
     * @throws ApiError.ApiException as {@link #refuseTooLarge}
     */
    private ToCompile networkToCompile(ClientMessage.Start request) {
        RunRequest parsed = RunRequest.parse(request, store::load);
        RunParts parts = parsed.parts();
        long need = refuseTooLarge(parsed, parts);
        if (running() >= settings.maxActive() || !waiting.isEmpty() || need > settings.memoryBudget() - reserved) {
            return null;
        }
        Batch.Key key = Batch.Key.of(parsed, parts);
        int images = parsed.objectives().size();
        Batch joined = joinable(key, leastBusy(), images, parsed.imageMultiplyAdds(parts));
        int rows = joined == null ? Batch.rows(key, images, need) : Batch.rows(key, joined.images() + images, joined.reserved() + need);
        boolean has = joined != null && joined.network != null && joined.network.batch() == rows;
        return has || key.model().hasIdle(rows, key.inputSize(), key.layers()) ? null
                : new ToCompile(new NetworkShape(key, rows), joined == null ? 1 : joined.members.size() + 1);
    }

    // --- commands, on a compute thread under the lock ---

    /**
     * Accepts a run of {@code client}: it starts now if the device has room, else it waits.
     *
     * @throws ApiError.ApiException 413 too_large when its network alone would need more than the memory budget, or
     *                               its step would take longer than the step-time limit; 429 too_many_runs when
     *                               the queue is full
     */
    public ComputeApi.Accepted start(String runId, String client, ClientMessage.Start request) {
        return start(runId, client, request, null, null);
    }

    /**
     * {@link #start(String, String, ClientMessage.Start)} with a network of {@code model} compiled for it ahead ({@link
     * #startCompiled}), or null: what the run does not take goes back to the model's cache.
     */
    private ComputeApi.Accepted start(String runId, String client, ClientMessage.Start request, LoadedModel model, Network ahead) {
        Run run = null;
        try {
            if (runs.containsKey(runId)) {
                throw ApiError.badRequest("run id " + runId + " is taken").exception();
            }
            if (Boolean.TRUE.equals(starting.remove(runId))) {
                return new ComputeApi.Accepted(runId, 0); // stopped while its model loaded: its done is sent
            }
            RunRequest parsed = RunRequest.parse(request, store::load);
            if (ahead != null && parsed.model() != model) {
                model.release(ahead); // the model's file changed since: that network is the old file's
                ahead = null;
            }
            RunParts parts = parsed.parts();
            long need = refuseTooLarge(parsed, parts);
            long imageWork = parsed.imageMultiplyAdds(parts);
            if (running() >= settings.maxActive() && waiting.size() >= settings.maxQueued()) {
                throw new ApiError(429, "too_many_runs", "too many runs: " + running() + " running and "
                        + waiting.size() + " waiting; try again later").exception();
            }
            run = new Run(runId, client == null ? "" : client, parsed, request.objective(), need, imageWork);
            run.ahead = ahead;
            runs.put(runId, run);
            waiting.add(run);
            RuntimeException own = promote(run);
            if (own != null) {
                throw own;
            }
            announcePositions(); // its queued event, if it waits, goes with its other events, after any that came before
            return new ComputeApi.Accepted(runId, run.running ? 0 : waiting.indexOf(run) + 1);
        } finally {
            Network unused = run != null ? run.ahead : ahead;
            if (unused != null) {
                model.release(unused);
                if (run != null) {
                    run.ahead = null;
                }
            }
        }
    }

    /**
     * The native memory a run of {@code parsed} with {@code parts} (or parts of the same shapes) needs, from shapes alone.
     *
     * @throws ApiError.ApiException 413 too_large when that is more than the memory budget, or its step would take
     *                               longer than the step-time limit
     */
    private long refuseTooLarge(RunRequest parsed, RunParts parts) {
        Batch.Key key = Batch.Key.of(parsed, parts);
        int images = parsed.objectives().size();
        String what = images + (images == 1 ? " image of " : " images of ") + parsed.size() + " px";
        long need = parsed.model().bytesFor(images, key.inputSize(), key.layers());
        if (need > settings.memoryBudget()) {
            throw new ApiError(413, "too_large", what + " on " + parsed.model().id() + " need" + (images == 1 ? "s" : "")
                    + " about " + MemorySize.of(need) + " of memory, more than this worker's budget of "
                    + MemorySize.of(settings.memoryBudget()) + "; ask for fewer images or a smaller size").exception();
        }
        double seconds = stepSeconds(key, images, parsed.imageMultiplyAdds(parts));
        if (seconds * 1000 > settings.maxStepMs()) {
            String layers = key.layers().stream().map(l -> "'" + l + "'").collect(java.util.stream.Collectors.joining(", "));
            throw new ApiError(413, "too_large", what + " to " + layers + " on " + parsed.model().id()
                    + " take" + (images == 1 ? "s" : "") + " about " + String.format(java.util.Locale.ROOT, "%.1f", seconds)
                    + " s a step on this worker, more than its limit of " + settings.maxStepMs() / 1000.0
                    + " s (every other run waits that long); ask for fewer filters or a smaller size").exception();
        }
        return need;
    }

    /**
     * Ends run {@code runId} "stopped" (a command); one asked for whose start is still under way ({@link
     * #startWhenScored}: its model loading, say) gets its {@code done} now and never starts.
     *
     * @return whether there was such a run
     */
    public boolean stop(String runId) {
        Run run = runs.get(runId);
        if (run == null) {
            if (starting.replace(runId, false, true)) {
                emit(new Done(runId, Done.Reason.STOPPED, 0, null, null, null, null, null, null, null));
                return true;
            }
            return false;
        }
        if (run.inFlight) {
            awaitStep(run);
            return stop(runId); // it may have ended meanwhile
        }
        if (run.running) {
            end(run, Done.Reason.STOPPED, null);
        } else {
            sendLastFrames(run); // a paused run has an image; one that never had a place has none
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
            throw ApiError.noRun(runId).exception();
        }
        if (run.inFlight) {
            awaitStep(run);
            return update(runId, params, pace); // it may have ended meanwhile
        }
        if ((params == null || !params.isObject()) && pace == null) {
            throw ApiError.badRequest("update needs a \"params\" object or a \"pace\"").exception();
        }
        RunRequest next = params == null ? run.request : run.request.with(run.request.settings().with(params));
        List<String> fixed = run.request.settings().fixedChanges(next.settings()).stream()
                .map(io.filterscope.engine.preset.Param::name).toList();
        if (!fixed.isEmpty()) {
            String names = fixed.size() == 1 ? fixed.get(0)
                    : String.join(", ", fixed.subList(0, fixed.size() - 1)) + " and " + fixed.get(fixed.size() - 1);
            throw ApiError.badRequest(names + " cannot change while a run goes; start a new run").exception();
        }
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
            // Its objectives now read other layers: it steps with the runs that read those, on its thread still.
            leave(run);
            join(run, parts, run.on);
        }
        return new ServerEvent.Updated(runId, step);
    }

    /** The index of the compute thread running run {@code runId} steps on, or -1 when it does not run (a command). */
    int threadOf(String runId) {
        Run run = runs.get(runId);
        return run == null || !run.running ? -1 : run.on.index;
    }

    /** The ids of the runs that step in one minibatch with running run {@code runId} (itself included), or none when it does not run (a command). */
    java.util.Set<String> batchmates(String runId) {
        Run run = runs.get(runId);
        return run == null || run.batch == null ? java.util.Set.of()
                : run.batch.members.stream().map(r -> r.id).collect(java.util.stream.Collectors.toSet());
    }

    /**
     * Every run: running, then waiting in order, then those still preparing ({@link #startWhenScored}: their model
     * loading, a layer's first run scored, their network compiled), which can be watched already; a preparing run has
     * taken no step and its steps are those it asked for.
     */
    public List<RunSummary> list() {
        List<RunSummary> all = new ArrayList<>();
        runs.values().stream().filter(r -> r.running).forEach(r -> all.add(r.summary()));
        waiting.forEach(r -> all.add(r.summary()));
        preparing.forEach((id, request) -> {
            if (!runs.containsKey(id) && Boolean.FALSE.equals(starting.get(id))) {
                int images = io.filterscope.engine.objective.Objectives.checkForm(request.objective()).size(); // read at start
                all.add(new RunSummary(id, request.model(), "preparing", 0,
                        request.steps() != null ? request.steps() : io.filterscope.engine.preset.Params.STEPS.base(), images,
                        request.objective()));
            }
        });
        return all;
    }

    // --- the loop ---

    /** A step set up under the lock and computed outside it. */
    private record Step(Batch batch, List<Run> stepping, Network net, List<BatchedAscent.Placed> placed) {
    }

    /** A completed gallery's {@code done}, but for its tiles' verdicts, and its tiles as shown. */
    private record Judging(Done done, TileVerdicts.Tiles tiles) {

        /** The {@code done} with {@code verdicts}, or as it is when they could not be had. */
        Done with(TileVerdicts verdicts) {
            return verdicts == null ? done : new Done(done.run(), done.reason(), done.steps(), done.seconds(), done.loss(), done.losses(), done.dead(),
                    verdicts.flat(), verdicts.prefersFlat(), done.message());
        }
    }

    /**
     * One compute thread's loop: under the lock, a command (whichever thread is free takes it) or its scheduler's next
     * turn; then, outside the lock, that turn's work: a query's piece (one at a time over all threads) or a step's
     * computation, whose outcome (frames, ends) is handled under the lock again.
     */
    private void loop(ComputeThread me) {
        while (!closed) {
            try {
                long wait;
                FairScheduler.Turn<Run, Query> turn = null;
                Step step = null;
                lock.lock();
                try {
                    // One command at a time, in the order they came: one waiting for a step (awaitStep) lets the lock go,
                    // and the next must not overtake it (a second stop of a run would end it, and the first find it gone).
                    Runnable command = commandUnderWay ? null : commands.poll();
                    if (command != null) {
                        commandUnderWay = true;
                        try {
                            synchronized (queryOrCommand) {
                                me.timed("a command", command);
                            }
                        } finally {
                            commandUnderWay = false;
                        }
                        continue;
                    }
                    long now = System.nanoTime();
                    turn = me.scheduler.next(r -> r.due(now) && !r.batch.awaitsNetwork());
                    wait = turn != null ? 0 : me.scheduler.hasWork() ? untilDue(me) : TimeUnit.SECONDS.toNanos(1);
                    if (turn != null && turn.run() != null) {
                        // A lone run's large step fans out to every core but one, as many runs' to their parts of them.
                        Backend.shareCores((int) threads.stream().filter(this::stepsRuns).count());
                        step = prepare(turn.run());
                        if (step == null) {
                            continue; // its batch's network is being compiled, or could not be had: its runs ended failed
                        }
                    }
                } finally {
                    lock.unlock();
                }
                if (turn == null) {
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait); // a command, query or run placed here wakes it
                        Thread.interrupted(); // only close() may stop the loop; any other interrupt is a stray one
                    }
                    continue;
                }
                if (step == null) {
                    query(me, turn);
                } else {
                    step(me, step);
                }
            } catch (Throwable t) {
                failure(t, "the compute loop");
            }
        }
    }

    /** How long until a query or a running run placed on {@code me} is due: 0 when one is (an unpaced run always is). */
    private long untilDue(ComputeThread me) {
        if (me.scheduler.queriesWaiting() > 0) {
            return 0;
        }
        long now = System.nanoTime();
        // Runs whose batch waits for its network are not due before it comes, which wakes the thread.
        return runs.values().stream().filter(r -> r.running && r.on == me && !r.batch.awaitsNetwork()).mapToLong(r -> r.untilDue(now)).min()
                .orElse(TimeUnit.SECONDS.toNanos(1));
    }

    /**
     * Does one piece of the query of {@code turn} (pieces run one at a time over all threads), then, under the lock:
     * the query is answered, failed, or waits for its next turn behind its client's other queries.
     */
    private void query(ComputeThread me, FairScheduler.Turn<Run, Query> turn) {
        Query query = turn.query();
        Optional<Object> answer = Optional.empty();
        Throwable failed = null;
        long started;
        synchronized (queryOrCommand) {
            started = System.nanoTime();
            me.busy("a query");
            try {
                answer = query.piece().call();
            } catch (Throwable t) {
                failed = t;
            } finally {
                me.idle();
            }
        }
        lock.lock();
        try {
            if (failed != null) {
                query.result().completeExceptionally(failure(failed, "a query"));
            } else if (answer.isPresent()) {
                query.result().complete(answer.get());
            } else {
                me.scheduler.addQuery(turn.client(), query);
            }
            // Counted once for each thread that steps runs: queries then take the share of the whole worker that one query
            // lane beside all its runs would (FairScheduler.QUERY_WEIGHT), not that share of every thread.
            long stepping = threads.stream().filter(this::stepsRuns).count();
            me.scheduler.charge(turn, (System.nanoTime() - started) * Math.max(1, stepping));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Computes {@code step} outside the lock, then sends its frames and ends what it ended under the lock ({@link #stepped});
     * the galleries it completed are judged once the lock is let go, and only then get their {@code done}.
     */
    private void step(ComputeThread me, Step step) {
        long started = System.nanoTime();
        me.busy(step.stepping().size() == 1 ? "a step of run " + step.stepping().get(0).id : "a step of " + step.stepping().size() + " runs");
        long begun = DeviceSpeed.clock();
        Object outcome;
        try {
            outcome = BatchedAscent.step(step.net(), step.placed());
        } catch (Throwable t) {
            outcome = t;
        } finally {
            me.idle();
        }
        long clock = DeviceSpeed.clock() - begun;
        List<Judging> completed;
        lock.lock();
        try {
            stepped(step, outcome, clock);
            me.scheduler.chargeRuns(shares(step.stepping(), System.nanoTime() - started));
            completed = List.copyOf(unjudged);
            unjudged.clear();
        } finally {
            lock.unlock();
        }
        completed.forEach(j -> judge(me, j));
    }

    /**
     * Judges a completed gallery's tiles ({@link TileVerdicts.Tiles#judge}: a forward pass of its tiles and their checks,
     * a median of 5-8 ms for the soak's mnist-cnn galleries, up to half a second for a layer's first, whose baselines are
     * found then) outside the lock, one at a time with query pieces and commands, and sends its {@code done}, which
     * thus comes after the events the lock's holders sent meanwhile. The time is charged to no lane of the
     * scheduler: the run has left it. The run has ended already, its place and memory given back; a failure costs only
     * the captions of its tiles.
     */
    private void judge(ComputeThread me, Judging judging) {
        TileVerdicts verdicts = null;
        try {
            synchronized (queryOrCommand) {
                me.busy("judging the tiles of run " + judging.done().run());
                try {
                    verdicts = judging.tiles().judge();
                } finally {
                    me.idle();
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not judge the tiles of run {}: {}", judging.done().run(), e.toString());
        } catch (OutOfMemoryError e) {
            failure(e, "judging the tiles of run " + judging.done().run());
        } finally {
            emit(judging.with(verdicts));
        }
    }

    /**
     * The step of {@code run}'s turn (under the lock): its batch's members that are due step with it, on the batch's
     * network; they are marked in flight until {@link #stepped}, so that no other thread touches them meanwhile.
     */
    private Step prepare(Run run) {
        Batch batch = run.batch;
        long now = System.nanoTime();
        List<Run> stepping = batch.members.stream().filter(r -> r == run || r.dueSoon(now)).toList();
        Network net;
        try {
            Network had = batch.network;
            net = batch.readyNetwork();
            if (net != had) {
                trimCache(); // the one it had went back to the cache (a step that keeps its network touches the cache not at all)
            }
        } catch (Throwable t) {
            failStep(stepping, t);
            return null;
        }
        if (!batch.networkFits() && !batch.compiling) {
            compileFor(batch);
        }
        if (net == null) {
            return null;
        }
        stepping.forEach(r -> r.stepped(now));
        List<BatchedAscent.Placed> placed = new ArrayList<>();
        int row = 0;
        for (Run member : batch.members) {
            if (stepping.contains(member)) {
                placed.add(new BatchedAscent.Placed(member.ascent, row));
            }
            row += member.images();
        }
        batch.inFlight = true;
        stepping.forEach(r -> r.inFlight = true);
        return new Step(batch, stepping, net, placed);
    }

    /**
     * Has {@code batch}'s network (its members changed, so it needs another number of rows, and none is idle) compiled on
     * the compiler thread, off the lock, and taken once it comes ({@link Batch#offer}); its members end failed if it
     * cannot be had. Meanwhile runs of other batches step, and its own if its network has a row for each.
     */
    private void compileFor(Batch batch) {
        batch.compiling = true;
        NetworkShape shape = new NetworkShape(batch.key, batch.rows());
        offTheLock(compiler, "compiling " + batch.key.model().id() + " for " + batch.members.size() + " runs", shape::compile)
                .whenComplete((net, error) -> call(() -> {
                    batch.compiling = false;
                    if (error != null) {
                        failStep(List.copyOf(batch.members),
                                error instanceof java.util.concurrent.CompletionException c ? c.getCause() : error);
                    } else {
                        batch.offer(net); // given back if its members changed meanwhile: its next turn asks again
                    }
                    java.util.concurrent.locks.LockSupport.unpark(batch.on.thread);
                    return null;
                }));
    }

    /** A step of {@code stepping} threw {@code t} (setting up or computing): each of them ends failed, saying why. */
    private void failStep(List<Run> stepping, Throwable t) {
        ApiError error = ApiError.of(failure(t, stepping.size() == 1 ? "run " + stepping.get(0).id : "a batch of " + stepping.size() + " runs"));
        stepping.forEach(run -> end(run, Done.Reason.FAILED, error.message()));
    }

    /** Waits (letting the other threads go on) until {@code run}'s step under way on another thread is over. */
    private void awaitStep(Run run) {
        while (run.inFlight) {
            stepEnded.awaitUninterruptibly();
        }
    }

    /**
     * A step's computation is over (under the lock): {@code outcome} is its list of {@link BatchedAscent.Outcome}s, or what
     * it threw; {@code clock} its {@link DeviceSpeed#clock} time. Sends the runs' frames and ends those that are done,
     * failed or were stopped meanwhile.
     */
    @SuppressWarnings("unchecked")
    private void stepped(Step step, Object outcome, long clock) {
        List<Run> stepping = step.stepping();
        Batch batch = step.batch();
        batch.inFlight = false;
        stepping.forEach(r -> r.inFlight = false);
        stepEnded.signalAll();
        gather(batch);
        if (!batch.networkFits()) {
            batch.drop(); // members that were not stepping left it meanwhile (see leave), or others joined it (gather)
        }
        if (outcome instanceof Throwable t) {
            failStep(stepping, t);
            return;
        }
        // The network's every row is computed, spare ones too.
        speed.observe(batch.key.work(step.net().batch(), stepping.stream().mapToLong(r -> r.imageWork).sum()), clock);
        List<BatchedAscent.Outcome> outcomes = (List<BatchedAscent.Outcome>) outcome;
        for (int i = 0; i < stepping.size(); i++) {
            Run run = stepping.get(i);
            BatchedAscent.Outcome result = outcomes.get(i);
            if (result.failure() instanceof RunFailedException e) {
                end(run, Done.Reason.FAILED, e.getMessage());
            } else if (result.failure() != null) {
                end(run, Done.Reason.FAILED, ApiError.of(failure(result.failure(), "run " + run.id)).message());
            } else {
                StepResult images = result.result();
                run.lastValues = images.values();
                boolean last = run.ascent.finished();
                sendFrames(run, images.step(), images.values(), images.images(), last);
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
                    + "); freed " + MemorySize.of(freed) + " of cached networks, try again or ask for less").exception();
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
        collectionOwed = false;
        collections.incrementAndGet();
        if (reclaiming.compareAndSet(false, true)) {
            reclaimer.execute(() -> {
                try {
                    collectAndTrim();
                } finally {
                    reclaiming.set(false);
                }
            });
        }
    }

    /** Collects twice, giving ND4J's deallocator thread time to free what each collection let go, then trims malloc. */
    private static void collectAndTrim() {
        try {
            System.gc();
            Thread.sleep(300);
            System.gc();
            Thread.sleep(300);
            Backend.trimNativeHeap();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    /** How many collections of freed memory were asked for so far. */
    int collections() {
        return collections.get();
    }

    private int running() {
        return runs.size() - waiting.size();
    }

    private void sendFrames(Run run, int step, double[] values, HostImages images, boolean last) {
        int c = images.channels();
        int h = images.height();
        int w = images.width();
        for (int i = 0; i < images.count(); i++) {
            float[] planes = images.planes()[i];
            int index = i;
            Double loss = values == null ? null : values[i];
            int filter = Run.filterOf(run.request.objectives().get(i), i);
            encoder.execute(() -> out.send(run.id, FrameEncoder.encode(run.id, step, index, filter, loss, last, planes, c, w, h), !last));
        }
    }

    /**
     * A running run ends: its place and memory go to the next. One that did not complete (a completing step sent
     * its frames marked last) first sends its image as it is now, marked last.
     */
    private void end(Run run, Done.Reason reason, String message) {
        if (reason != Done.Reason.COMPLETED) {
            sendLastFrames(run);
        }
        run.unplace(System.nanoTime());
        run.on.scheduler.removeRun(run.client, run);
        leave(run);
        runs.remove(run.id);
        finish(run, reason, message);
        promote(null);
        refreshLoad();
    }

    /**
     * The frames marked last (PNG) of a run that ends otherwise than by its last step: its images as they are now, at the
     * step it reached (0 when it is stopped before its first, showing where it started) with that step's values, so
     * that a client's last frame of every run that had an image is marked last and comes before its {@code done}. A run
     * that never had a place has no image; one whose images cannot be had (the failure it ends with left it unreadable)
     * ends without them, which the log says.
     */
    private void sendLastFrames(Run run) {
        if (run.ascent == null) {
            return;
        }
        try {
            sendFrames(run, run.ascent.stepsDone(), run.lastValues, run.ascent.displayImages(), true);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.warn("could not send the last frames of run {}: {}", run.id, e.toString());
        }
    }

    /** A run gives back the memory it reserved, and its batch its rows. */
    private void giveBack(Run run) {
        leave(run);
        if (run.holdsMemory) {
            reserved -= run.bytes;
            run.holdsMemory = false;
            // The network went, or the run's step temporaries were large: worth a collection, but a full one stops every
            // run (0.2-0.5 s on 2 busy cores, 1-4 s of frozen frames beside an inception_v3 run's end), so it waits
            // until none steps. A run that needs the memory meanwhile has it collected first (activate).
            collectionOwed |= trimCache() + run.bytes >= COLLECT_AFTER_FREEING;
            if (collectionOwed && running() == 0) {
                reclaim();
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
     * A run joins a batch on thread {@code on} of the runs it can step with whose steps stay within the step-time limit
     * with its images (a new one if none), which makes room for its images when it has none spare. A batch whose step
     * is under way is not joined: its network is in use; the run's new batch joins it when that step is over ({@link #gather}).
     */
    private void join(Run run, RunParts parts, ComputeThread on) {
        Batch.Key key = Batch.Key.of(run.request, parts);
        Batch batch = joinable(key, on, run.images(), run.imageWork);
        if (batch == null) {
            batch = new Batch(key, on);
            batches.computeIfAbsent(key, k -> new ArrayList<>()).add(batch);
        }
        batch.members.add(run);
        run.batch = batch;
        run.on = on;
    }

    /**
     * The batch of {@code key} on thread {@code on} that a run of {@code images} images, of own work {@code imageWork},
     * would join now: one not stepping nor waiting for its network whose steps stay within the step-time limit with
     * them; null if none.
     */
    private Batch joinable(Batch.Key key, ComputeThread on, int images, long imageWork) {
        return batches.getOrDefault(key, List.of()).stream()
                .filter(b -> b.on == on && b.open() && withinStepTime(b, images, imageWork)).findFirst().orElse(null);
    }

    /** Whether a step of {@code batch} with {@code images} more images, of own work {@code imageWork}, stays within the step-time limit. */
    private boolean withinStepTime(Batch batch, int images, long imageWork) {
        return stepSeconds(batch.key, batch.images() + images, batch.imageWork() + imageWork) * 1000 <= settings.maxStepMs();
    }

    /**
     * After a step of {@code batch} (under the lock): runs of its kind that were placed on its thread while that step
     * was under way formed batches of their own beside it ({@link #join}); they now join it, as far as the step-time
     * limit allows, so that a thread steps its runs of one kind as one minibatch, not as several taking turns (runs
     * starting one by one while others stepped were left in two to four batches a thread, for good, before). Those
     * batches step on the same thread, so none of them is under way now; their runs take rows of the batch's next
     * network, as runs joining between steps do.
     */
    private void gather(Batch batch) {
        List<Batch> ofKey = batches.get(batch.key);
        if (ofKey == null || batch.members.isEmpty()) {
            return; // every member left it during the step
        }
        for (Batch other : List.copyOf(ofKey)) {
            if (other != batch && other.on == batch.on && other.open() && withinStepTime(batch, other.images(), other.imageWork())) {
                other.members.forEach(r -> r.batch = batch);
                batch.members.addAll(other.members);
                other.members.clear();
                other.drop();
                ofKey.remove(other);
            }
        }
    }

    /** The thread with the fewest running runs (the first among equals): where a run starting now steps. */
    private ComputeThread leastBusy() {
        return threads.stream().min(Comparator.comparingLong(t -> runs.values().stream().filter(r -> r.running && r.on == t).count()))
                .orElseThrow();
    }

    /** Whether {@code thread} has running runs. */
    private boolean stepsRuns(ComputeThread thread) {
        return runs.values().stream().anyMatch(r -> r.running && r.on == thread);
    }

    /**
     * Where a new query goes: among the threads that step runs (all, when none does), the one with the fewest queries
     * waiting. So queries take their turns beside runs, within the query lane's share of those runs' threads
     * ({@link FairScheduler#QUERY_WEIGHT}, counted over the whole worker: see {@link #query}); on a thread of their own
     * they would take a core from the runs' threads on a small machine, outside any share (four unpaced examples loops
     * took a run from 153 to 26 steps/s on 2 cores).
     */
    private ComputeThread queryThread() {
        List<ComputeThread> stepping = threads.stream().filter(this::stepsRuns).toList();
        return (stepping.isEmpty() ? threads : stepping).stream().min(Comparator.comparingInt(t -> t.scheduler.queriesWaiting()))
                .orElseThrow();
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
        if (!batch.inFlight && !batch.networkFits()) {
            batch.drop(); // too large for what its members now reserve, or no longer needed at all (else after its step)
        }
        if (batch.members.isEmpty()) {
            List<Batch> ofKey = batches.get(batch.key);
            ofKey.remove(batch);
            if (ofKey.isEmpty()) {
                batches.remove(batch.key);
            }
        }
    }

    /** Collects now, before a run takes memory, if the networks just dropped or a collection owed since are worth it. */
    private void reclaimIfWorthIt(long freed) {
        if (freed >= COLLECT_AFTER_FREEING || collectionOwed) {
            reclaim();
        }
    }

    /**
     * A run is over: its memory goes back and its {@code done} is sent, or, for a completed gallery, waits in
     * {@link #unjudged} with the gallery's tiles (copied before its memory goes) for its verdicts.
     */
    private void finish(Run run, Done.Reason reason, String message) {
        TileVerdicts.Tiles tiles = null;
        try {
            tiles = reason == Done.Reason.COMPLETED && run.ascent != null ? TileVerdicts.Tiles.of(run.request, run.ascent) : null;
        } catch (RuntimeException e) {
            // The run is done either way; only the captions of its tiles are missing.
            LOG.warn("could not copy the tiles of run {}: {}", run.id, e.toString());
        }
        giveBack(run);
        refreshLoad(); // before "done" goes out, so a client that then asks sees the run gone
        Done done;
        if (run.lastValues == null) {
            done = new Done(run.id, reason, run.step(), run.secondsPlaced(System.nanoTime()), null, null, null, null, null, store.withoutDirectory(message));
        } else {
            List<Integer> dead = new ArrayList<>();
            for (int i = 0; i < run.lastValues.length; i++) {
                if (run.ascent.dead(i)) {
                    dead.add(Run.filterOf(run.request.objectives().get(i), i));
                }
            }
            done = new Done(run.id, reason, run.step(), run.secondsPlaced(System.nanoTime()), Arrays.stream(run.lastValues).average().orElse(0),
                    Arrays.stream(run.lastValues).boxed().toList(), dead, null, null, store.withoutDirectory(message));
        }
        if (tiles == null) {
            emit(done);
        } else {
            unjudged.add(new Judging(done, tiles));
        }
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
            order();
            Run next = waiting.get(0);
            if (!next.holdsMemory && next.bytes > settings.memoryBudget() - reserved) {
                // It waits until running runs give memory back; a paused run, whose memory is held already, may go.
                next = waiting.stream().filter(r -> r.holdsMemory).findFirst().orElse(null);
                if (next == null) {
                    break;
                }
            }
            Run victim = null;
            if (running() >= settings.maxActive()) {
                victim = pausable(next.client);
                if (victim == null) {
                    break;
                }
                if (victim.inFlight) {
                    awaitStep(victim);
                    continue; // the runs may have changed meanwhile
                }
            }
            if (next.toldPosition > 1) {
                // It goes ahead of runs it was told were before it (a run of its client ended, or it holds memory and
                // the first waits for some): they hear they moved back, and it hears it is next, before it starts.
                waiting.remove(next);
                waiting.add(0, next);
                announcePositions();
            }
            if (victim != null) {
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
                    sendLastFrames(next); // a paused run that could not resume
                    finish(next, Done.Reason.FAILED, ApiError.of(t).message());
                }
            }
        }
        if (changed) {
            announcePositions();
        }
        return callerFailed;
    }

    /**
     * Puts the waiting runs in the order they get places as things stand: each run's turn is the places its client
     * holds plus its client's runs waiting before it, lowest first, the first in line among equals (so the first is
     * the run of the client with the fewest running runs, and places given one after another go down the list).
     * A paused run waits first among its client's runs.
     */
    private void order() {
        Map<String, Integer> turns = new java.util.HashMap<>();
        Map<Run, Integer> turn = new java.util.IdentityHashMap<>();
        for (Run r : waiting) {
            turn.put(r, turns.merge(r.client, 1, Integer::sum) - 1 + runningOf(r.client));
        }
        waiting.sort(Comparator.comparingInt(turn::get)); // stable: the first in line among equals
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
        run.unplace(System.nanoTime());
        run.on.scheduler.removeRun(run.client, run);
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
        join(run, parts, leastBusy());
        if (run.ascent == null) {
            // A network of its batch's input size and layers, whatever its rows: the run's shapes and layers are checked
            // against it, and its starting pictures chosen on it. The batch's (not in use: a batch in flight is not
            // joined), else the one compiled for it ahead, else one borrowed now (a run that waited for its place).
            Network net = run.batch.network != null ? run.batch.network : run.ahead != null ? run.ahead : run.batch.network();
            run.ascent = new AscentRun(net, r.objectives(), parts, r.size(), r.steps(), r.seed());
        }
        if (run.ahead != null) {
            run.batch.offer(run.ahead);
            run.ahead = null;
        }
        run.place(System.nanoTime());
        run.toldPosition = 0;
        run.on.scheduler.addRun(run.client, run);
        java.util.concurrent.locks.LockSupport.unpark(run.on.thread);
        emit(new ServerEvent.Started(run.id, null));
    }

    /**
     * Tells each waiting run its place in the queue when it differs from the place it was last told (a run new to the
     * queue, one paused, one whose queue moved), so that each change is told once however many of the queue's changes
     * one command makes (a stop that let a paused run resume, say).
     */
    private void announcePositions() {
        int position = 0;
        for (Run r : waiting) {
            if (++position != r.toldPosition) {
                r.toldPosition = position;
                emit(new ServerEvent.Queued(r.id, position, null));
            }
        }
    }

    /** Events go through the encoder's queue too, so they arrive after the frames sent before them. */
    private void emit(ServerEvent.RunEvent event) {
        encoder.execute(() -> out.send(event.run(), event, false));
    }

    /** A compute thread is ending without close(): every run fails, so no client waits for frames that never come. */
    private void failEverything() {
        lock.lock();
        try {
            deathCause = "a compute thread stopped";
            LOG.error("a compute thread stopped; failing the worker's runs");
            for (Run run : List.copyOf(runs.values())) {
                emit(new Done(run.id, Done.Reason.FAILED, run.step(), run.secondsPlaced(System.nanoTime()), null, null, null, null, null,
                        "the compute worker stopped; start the run again"));
            }
            runs.clear();
            waiting.clear();
            batches.clear();
            refreshLoad();
        } finally {
            lock.unlock();
        }
    }

    // --- health, from any thread ---

    /**
     * Whether the worker can serve: every compute thread alive (once started) and none stuck in one piece of work, the
     * process within its memory limit.
     */
    public Health health() {
        String state = "ok";
        String detail = null;
        ComputeThread stuck = threads.stream().max(Comparator.comparingLong(ComputeThread::busyMs)).orElseThrow();
        long busyMs = stuck.busyMs();
        boolean started = ready.isDone();
        if (!closed && threads.stream().anyMatch(t -> (started || t.index == 0) && !t.thread.isAlive())) {
            state = "dead";
            detail = deathCause == null ? "a compute thread is gone" : deathCause;
        } else if (busyMs > settings.wedgedAfterMs()) {
            state = "wedged";
            detail = "busy with " + stuck.busyWith + " for " + busyMs / 1000 + " s";
        } else if (Backend.overMemoryLimit()) {
            state = "out_of_memory";
            detail = "the process uses more memory than JavaCPP allows it (" + MemorySize.of(org.bytedeco.javacpp.Pointer.maxPhysicalBytes()) + ")";
        }
        return new Health(state, detail, settings.memoryBudget(), reserved, store.networks().bytes());
    }

    /** Ends every run with "stopped" (a command); returns how many there were. */
    public int stopAll() {
        List<String> all = new ArrayList<>(runs.keySet());
        all.forEach(this::stop);
        return all.size();
    }

    /**
     * Ends every run with "stopped" and stops the threads, waiting at most {@code millis} for the frames; then forgets
     * the models and networks ({@link ModelStore#unloadAll}) and hands their memory back to the system in the background.
     */
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
        store.unloadAll();
        Thread release = new Thread(ComputeService::collectAndTrim, "filterscope-memory-release");
        release.setDaemon(true);
        release.start();
    }

    @Override
    public void close() {
        closed = true;
        threads.forEach(t -> t.thread.interrupt());
        encoder.shutdown();
        reclaimer.shutdownNow();
        loader.shutdownNow();
        compiler.shutdownNow();
    }
}
