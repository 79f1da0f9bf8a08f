package io.filterscope.server.compute;

import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.BatchedAscent;
import io.filterscope.engine.render.HostImages;
import io.filterscope.engine.render.StepResult;
import io.filterscope.image.PngFiles;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.server.Limit;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a compute worker does once before it reports ready, so that a class's first minutes do not pay for
 * the first time of everything: for each available model, the page's first run (its default layer, filter and
 * preset at its own size) and a gallery-like batch of 8 step a few dozen times through the worker's own step
 * path with their frames encoded, its default layer's example pictures are scored and ranked as an
 * {@code examples} query answers, and an upload's activation maps are computed. Without it, a 30-client soak's
 * first two minutes ran slower than the rest: the JIT compiler took 0.2-0.4 of the 2 cores in the first 100 s
 * (falling to 0.01 by 200 s), the compute thread got 0.42-0.57 of a core against 0.65-0.73 later, and networks
 * and example scores were built inside steps and queries (docs/performance.md, "Soak"). It takes 3-6 s on 2 cores
 * for the bundled models. It is a head start, not a requirement, so it has a time budget ({@link #BUDGET_NANOS}): the
 * default model goes first, and models whose turn comes after the budget is spent stay cold (their first run pays
 * instead). Without it a models folder holding three ImageNet-size networks (60 steps each, a few hundred ms a step)
 * kept {@code serve} from starting within its minute. The budget holds within a model too: its read and its networks'
 * compiles (a minute or more for inception_v3's .h5 on 2 busy cores) happen on the worker's loader thread and are
 * waited for only while time is left; one that outlasts it goes on there (its model is then read for its first run),
 * and the warm-up ends, naming what it skipped.
 */
final class WarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    /** Steps of the page's first run of each model: enough for the step path's hot methods to be compiled. */
    private static final int STEPS = 60;
    /** Steps of a batch of 8 of each model. */
    private static final int BATCH_STEPS = 10;
    private static final int BATCH = 8;
    /**
     * How long the warm-up may take, in nanoseconds: the bundled models take 3-6 s on 2 quiet cores (18.6 s were seen at
     * load 3, about 57 s at load 7, when nothing bounded it).
     */
    static final long BUDGET_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(20);

    private WarmUp() {
    }

    /**
     * Warms the available models of {@code store}, {@link ModelStore#DEFAULT_MODEL} first (the page opens on it), within
     * {@code budgetNanos}: a model is begun only while time is left, its read and compiles (on {@code loader}) are waited
     * for only until it is spent, and its runs stop stepping then. A model that fails is logged and left cold.
     *
     * @param loader reads models and compiles their networks (the worker's loader thread, pinned to its device)
     * @return the available models left cold for want of time, in the order they would have been warmed (one whose read
     *         or compile outlasted the budget among them)
     */
    static List<String> run(ModelStore store, ModelQueries queries, DeviceSpeed speed, long budgetNanos,
                            java.util.concurrent.Executor loader) {
        long started = System.nanoTime();
        long deadline = started + budgetNanos;
        List<String> cold = new java.util.ArrayList<>();
        List<ModelStore.Entry> entries = store.list().stream().filter(ModelStore.Entry::available)
                .sorted(java.util.Comparator.comparing(e -> !ModelStore.DEFAULT_MODEL.equals(e.id()))).toList();
        for (ModelStore.Entry entry : entries) {
            if (System.nanoTime() >= deadline) {
                cold.add(entry.id());
                continue;
            }
            try {
                // A read that comes late is kept by the store: the model's first run does not read it again.
                LoadedModel model = within(deadline, loader, () -> store.load(entry.id()).measureSizes(), late -> { });
                model(store, queries, model, speed, deadline, loader);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.info("warm-up: reading or compiling {} outlasted the warm-up's budget of {} s; it goes on beside the runs",
                        entry.id(), budgetNanos / 1_000_000_000);
                cold.add(entry.id());
            } catch (RuntimeException | java.io.IOException e) {
                LOG.warn("warming up {} failed: {}", entry.id(), e.toString());
            }
        }
        LOG.info("warmed up in {} ms{}", (System.nanoTime() - started) / 1_000_000,
                cold.isEmpty() ? "" : "; left cold for want of time (their first run warms them): " + String.join(", ", cold));
        return cold;
    }

    /**
     * {@code work}'s answer, done on {@code loader}, if it comes before {@code deadline} (System.nanoTime).
     *
     * @param late takes the answer if it comes after the deadline
     * @throws java.util.concurrent.TimeoutException when it does not (it goes on on {@code loader})
     * @throws RuntimeException what {@code work} threw
     */
    private static <T> T within(long deadline, java.util.concurrent.Executor loader, java.util.function.Supplier<T> work,
                                java.util.function.Consumer<T> late) throws java.util.concurrent.TimeoutException {
        java.util.concurrent.CompletableFuture<T> answer = java.util.concurrent.CompletableFuture.supplyAsync(work, loader);
        try {
            return answer.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            answer.thenAccept(late);
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.TimeoutException("interrupted");
        }
    }

    private static void model(ModelStore store, ModelQueries queries, LoadedModel model, DeviceSpeed speed, long deadline,
                              java.util.concurrent.Executor loader) throws java.io.IOException, java.util.concurrent.TimeoutException {
        LayerInfo layer = model.defaultLayer();
        int filter = model.metadata().defaultView() != null ? model.metadata().defaultView().filter() : 0;
        String preset = model.metadata().defaultView() != null && model.metadata().defaultView().preset() != null
                ? ",\"preset\":\"" + model.metadata().defaultView().preset() + "\"" : "";
        int[] gallery = new int[(int) Math.min(BATCH, layer.channels())];
        Arrays.setAll(gallery, i -> i);
        step(store, "{\"op\":\"start\",\"model\":\"" + model.id() + "\",\"objective\":{\"type\":\"channel\",\"layer\":\""
                + layer.name() + "\",\"filter\":" + filter + "}" + preset + "}", STEPS, speed, deadline, loader);
        step(store, "{\"op\":\"start\",\"model\":\"" + model.id() + "\",\"objective\":{\"type\":\"channel\",\"layer\":\""
                + layer.name() + "\",\"filters\":" + Arrays.toString(gallery) + "}" + preset + "}", BATCH_STEPS, speed, deadline, loader);
        if (model.examples() != null) {
            while (System.nanoTime() < deadline && queries.examplesPiece(model.id(), layer.name(), String.valueOf(filter), 100).isEmpty()) {
                // a slice of pictures a piece, as a query takes them
            }
        }
        BufferedImage grey = new BufferedImage(model.width(), model.height(), BufferedImage.TYPE_INT_RGB);
        queries.activations(model.id(), layer.name(), PngFiles.encode(grey, Map.of()), (int) Limit.IMAGE_PIXELS.defaultValue,
                (int) Limit.IMAGE_SIDE.defaultValue, false);
    }

    /**
     * Steps the run a start message asks for as the worker steps runs, encoding each step's first frame, until
     * {@code steps} or the {@code deadline} (System.nanoTime); the steps count toward the device's measured speed. Its
     * network is compiled on {@code loader}.
     *
     * @throws java.util.concurrent.TimeoutException when the network is not compiled by the deadline
     */
    private static void step(ModelStore store, String message, int steps, DeviceSpeed speed, long deadline,
                             java.util.concurrent.Executor loader) throws java.util.concurrent.TimeoutException {
        ClientMessage.Start start;
        try {
            start = (ClientMessage.Start) Protocol.decode(message);
        } catch (Protocol.BadMessage e) {
            throw new IllegalStateException(e);
        }
        RunRequest request = RunRequest.parse(start, store::load);
        var parts = request.parts();
        Batch.Key key = Batch.Key.of(request, parts);
        Network net = within(deadline, loader, () -> request.model().borrow(request.objectives().size(), key.inputSize(), key.layers()),
                request.model()::release);
        DeviceSpeed.Work work = key.work(net.batch(), request.imageMultiplyAdds(parts));
        try {
            AscentRun run = new AscentRun(net, request.objectives(), parts, request.size(), steps, request.seed());
            for (int i = 0; i < steps && System.nanoTime() < deadline; i++) {
                long began = DeviceSpeed.clock();
                StepResult result = BatchedAscent.step(net, List.of(new BatchedAscent.Placed(run, 0))).get(0).result();
                speed.observe(work, DeviceSpeed.clock() - began);
                HostImages shown = result.images();
                FrameEncoder.encode("warm-up", result.step(), 0, 0, result.values()[0], i == steps - 1, shown.planes()[0], shown.channels(),
                        shown.width(), shown.height());
            }
        } finally {
            request.model().release(net);
        }
    }
}
