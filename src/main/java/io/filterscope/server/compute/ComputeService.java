package io.filterscope.server.compute;

import io.filterscope.engine.Backend;
import io.filterscope.engine.render.AscentRun;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compute device's owner: one thread runs every ND4J operation (ascent steps, model loading,
 * activation maps), so nothing else touches the device and the event loop never waits for it. Active runs
 * take turns a step at a time; commands (start, stop, update, queries) are handled between two steps, so a
 * stop takes effect within one step. Frames are encoded on a second thread, in order.
 */
public final class ComputeService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeService.class);

    /**
     * Where frames (Buffer) and events ({@link ServerEvent.RunEvent}) of a run go. A droppable frame is an intermediate one
     * that a client that falls behind may miss; last frames and events never are.
     */
    public interface Output {
        void send(String runId, Object message, boolean droppable);
    }

    private final ModelStore store;
    private final ModelQueries queries;
    private final Output out;
    private final int maxActive;
    private final int maxQueued;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final ExecutorService encoder = Executors.newSingleThreadExecutor(r -> daemon(r, "filterscope-encoder"));
    private final Map<String, Run> active = new LinkedHashMap<>();
    private final Map<String, Run> queued = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    /**
     * What the compute thread last saw; read by other threads (heartbeats) without waiting for a step.
     * Refreshed where the runs change: after every command ({@link #call}) and when a run ends ({@link #finish}).
     */
    private volatile Load load = new Load(0, 0, List.of());

    /** How busy this worker is, and which runs it has (running first, then waiting). */
    public record Load(int active, int queued, List<String> runs) {
    }

    /** @param device the device this service's one compute thread is pinned to (see {@link Backend#pinCurrentThread}) */
    public ComputeService(ModelStore store, int device, int maxActive, int maxQueued, Output out) {
        this.store = store;
        this.queries = new ModelQueries(store);
        this.out = out;
        this.maxActive = maxActive;
        this.maxQueued = maxQueued;
        this.thread = daemon(() -> {
            Backend.pinCurrentThread(device);
            loop();
        }, "filterscope-compute-" + device);
        thread.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public ModelQueries queries() {
        return queries;
    }

    /** Runs {@code task} on the compute thread between two steps. */
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
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    // --- commands, on the compute thread ---

    /** Accepts a run; it starts now if the device has room, else it waits in the queue. */
    public ComputeApi.Accepted start(String runId, ClientMessage.Start request) {
        if (active.containsKey(runId) || queued.containsKey(runId)) {
            throw ApiError.badRequest("run id " + runId + " is taken").exception();
        }
        RunRequest parsed = RunRequest.parse(request, store::load);
        if (active.size() >= maxActive && queued.size() >= maxQueued) {
            throw new ApiError(429, "too_many_runs", "too many runs: " + active.size() + " running and "
                    + queued.size() + " waiting; try again later").exception();
        }
        Run run = new Run(runId, parsed);
        if (active.size() < maxActive) {
            activate(run);
            return new ComputeApi.Accepted(runId, 0);
        }
        queued.put(runId, run);
        return new ComputeApi.Accepted(runId, queued.size());
    }

    private void activate(Run run) {
        RunRequest r = run.request;
        var parts = r.parts();
        run.network = r.model().borrow(r.objectives().size(), parts.inputSize(r.size()));
        try {
            run.ascent = new AscentRun(run.network, r.objectives(), parts, r.size(), r.steps(), r.seed());
        } catch (RuntimeException e) {
            giveBack(run);
            throw e;
        }
        active.put(run.id, run);
        emit(new ServerEvent.Started(run.id, null));
    }

    public boolean stop(String runId) {
        Run run = active.remove(runId);
        if (run == null) {
            run = queued.remove(runId);
            if (run == null) {
                return false;
            }
            announcePositions();
        } else {
            if (run.lastFramesLossy) {
                sendFrames(run, run.ascent.stepsDone(), run.lastValues, run.ascent.displayImages(), true);
            }
            promote();
        }
        finish(run, Done.Reason.STOPPED, null);
        return true;
    }

    public ServerEvent.Updated update(String runId, com.fasterxml.jackson.databind.JsonNode params) {
        Run run = active.containsKey(runId) ? active.get(runId) : queued.get(runId);
        if (run == null) {
            throw ApiError.notFound("no run " + runId).exception();
        }
        if (params == null || !params.isObject()) {
            throw ApiError.badRequest("update needs a \"params\" object").exception();
        }
        RunRequest next = run.request.with(run.request.settings().with(params));
        var parts = next.parts();
        int step;
        if (run.ascent != null) {
            run.ascent.update(parts);
            step = run.ascent.stepsDone();
        } else {
            step = 0;
        }
        run.request = next;
        return new ServerEvent.Updated(runId, step);
    }

    public List<RunSummary> list() {
        List<RunSummary> runs = new ArrayList<>();
        active.values().forEach(r -> runs.add(r.summary()));
        queued.values().forEach(r -> runs.add(r.summary()));
        return runs;
    }

    // --- the loop ---

    private void loop() {
        while (!closed) {
            try {
                Runnable command = active.isEmpty() ? commands.poll(1, TimeUnit.SECONDS) : commands.poll();
                if (command != null) {
                    command.run();
                    continue;
                }
                for (Run run : new ArrayList<>(active.values())) {
                    drainCommands();
                    if (active.containsKey(run.id)) {
                        step(run);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("compute loop", e);
            }
        }
    }

    private void drainCommands() {
        Runnable c;
        while ((c = commands.poll()) != null) {
            c.run();
        }
    }

    private void refreshLoad() {
        load = new Load(active.size(), queued.size(), runIds());
    }

    private List<String> runIds() {
        List<String> ids = new ArrayList<>(active.keySet());
        ids.addAll(queued.keySet());
        return ids;
    }

    public Load load() {
        return load;
    }

    private void step(Run run) {
        StepResult result;
        try {
            result = run.ascent.step();
        } catch (RunFailedException e) {
            end(run, Done.Reason.FAILED, e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.error("run " + run.id + " failed", e);
            end(run, Done.Reason.FAILED, "internal error: " + e.getMessage());
            return;
        }
        run.lastValues = result.values();
        boolean last = run.ascent.finished();
        run.lastFramesLossy = FrameEncoder.lossy((int) result.images().size(3), last);
        sendFrames(run, result.step(), result.values(), result.images(), last);
        if (last) {
            end(run, Done.Reason.COMPLETED, null);
        }
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

    private void end(Run run, Done.Reason reason, String message) {
        active.remove(run.id);
        promote();
        finish(run, reason, message);
    }

    private static void giveBack(Run run) {
        if (run.network != null) {
            run.request.model().release(run.network);
            run.network = null;
        }
    }

    private void finish(Run run, Done.Reason reason, String message) {
        giveBack(run);
        refreshLoad(); // before "done" goes out, so a client that then asks sees the run gone
        Done done;
        if (run.lastValues == null) {
            done = new Done(run.id, reason, run.step(), null, null, null, message);
        } else {
            List<Integer> dead = new ArrayList<>();
            for (int i = 0; i < run.lastValues.length; i++) {
                if (run.ascent.dead(i)) {
                    dead.add(Run.filterOf(run.request.objectives().get(i), i));
                }
            }
            done = new Done(run.id, reason, run.step(), Arrays.stream(run.lastValues).average().orElse(0),
                    Arrays.stream(run.lastValues).boxed().toList(), dead, message);
        }
        emit(done);
    }

    private void promote() {
        Iterator<Run> waiting = queued.values().iterator();
        while (active.size() < maxActive && waiting.hasNext()) {
            Run next = waiting.next();
            waiting.remove();
            try {
                activate(next);
            } catch (RuntimeException e) {
                finish(next, Done.Reason.FAILED, ApiError.of(e).message());
            }
        }
        announcePositions();
    }

    private void announcePositions() {
        int position = 0;
        for (Run r : queued.values()) {
            emit(new ServerEvent.Queued(r.id, ++position, null));
        }
    }

    /** Events go through the encoder's queue too, so they arrive after the frames sent before them. */
    private void emit(ServerEvent.RunEvent event) {
        encoder.execute(() -> out.send(event.run(), event, false));
    }

    /** Ends every run with "stopped" (on the compute thread); returns how many there were. */
    public int stopAll() {
        List<String> all = runIds();
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
    }
}
