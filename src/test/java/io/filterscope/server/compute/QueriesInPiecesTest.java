package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ExampleActivations;
import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.server.protocol.Answers;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A layer's first example ranking scores all of a model's example images (2,000 for fashion-cnn, seconds of work):
 * it goes a slice per turn of the compute thread, and a running run steps between every two slices.
 */
class QueriesInPiecesTest {

    @Test
    void aRunningRunStepsBetweenThePiecesOfAFirstExamplesQuery() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 120_000, 3_000, false, 1),
                (run, message, droppable) -> { });
        try {
            ClientMessage.Start start = (ClientMessage.Start) Protocol.decode("""
                    {"op": "start", "model": "fashion-cnn", "steps": 100000,
                     "objective": {"type": "channel", "layer": "conv1", "filter": 0}}""");
            service.call(() -> service.start("r1", "runner", start)).get(2, TimeUnit.MINUTES);
            // The run's step as each piece of the query begins (read on the compute thread, between pieces).
            List<Integer> stepAtPiece = new ArrayList<>();
            Answers.Examples answer = service.<Answers.Examples>queryInPieces("asker", () -> {
                stepAtPiece.add(service.list().get(0).step());
                return service.queries().examplesPiece("fashion-cnn", "conv4", "5", 10);
            }).get(2, TimeUnit.MINUTES);

            assertEquals(10, answer.examples().size());
            int examples = store.load("fashion-cnn").examples().size();
            assertEquals((examples + ExampleActivations.SLICE - 1) / ExampleActivations.SLICE, stepAtPiece.size(),
                    "one piece per slice of examples");
            for (int i = 1; i < stepAtPiece.size(); i++) {
                assertTrue(stepAtPiece.get(i) > stepAtPiece.get(i - 1), "the run stepped between pieces " + (i - 1) + " and " + i
                        + ": " + stepAtPiece);
            }
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * A run that starts from a layer's example pictures ({@code init} examples) needs them all scored: that goes
     * through the query lane a slice at a time too, not inside its start (where it held the compute thread for all
     * of them), so a running run keeps stepping meanwhile, and its client is told why it waits; when they are scored,
     * the next such start needs no more.
     */
    @Test
    void aRunStartingFromExamplePicturesHasThemScoredInPieces() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        List<String> preparing = new java.util.concurrent.CopyOnWriteArrayList<>();
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 120_000, 3_000, false, 1),
                (run, message, droppable) -> {
                    if (message instanceof io.filterscope.server.protocol.ServerEvent.Preparing p) {
                        preparing.add(p.run() + ": " + p.reason());
                    }
                });
        try {
            service.call(() -> service.start("r1", "runner", (ClientMessage.Start) Protocol.decode("""
                    {"op": "start", "model": "fashion-cnn", "steps": 100000,
                     "objective": {"type": "channel", "layer": "conv1", "filter": 0}}"""))).get(2, TimeUnit.MINUTES);
            ClientMessage.Start fromExamples = (ClientMessage.Start) Protocol.decode("""
                    {"op": "start", "model": "fashion-cnn", "steps": 100000, "preset": "plain", "params": {"init": "examples"},
                     "objective": {"type": "channel", "layer": "conv4", "filter": 5}}""");
            int before = service.call(() -> service.list().get(0).step()).get(1, TimeUnit.MINUTES);
            service.startWhenScored("r2", "starter", fromExamples).get(2, TimeUnit.MINUTES);
            int after = service.call(() -> service.list().get(0).step()).get(1, TimeUnit.MINUTES);
            int slices = (store.load("fashion-cnn").examples().size() + ExampleActivations.SLICE - 1) / ExampleActivations.SLICE;
            assertTrue(after - before >= slices, "the running run stepped between the " + slices + " slices: "
                    + (after - before) + " steps while the other started");
            assertTrue(store.load("fashion-cnn").exampleActivations().scoreSlice("conv4", 1), "conv4's pictures are all scored");
            assertEquals(2, service.list().size(), "both run");
            assertTrue(preparing.contains("r2: scoring fashion-cnn's example pictures at conv4 (a layer's first run)"),
                    preparing.toString());
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * A layer's first run is told why it waits before the work it waits for: emoji-cnn's conv3 took 0.8-3 s to measure
     * (every example picture scored at the layer, flat colours) inside the start's first command, in silence, and the
     * first {@code preparing} ("compiling") came after it. Now its reason comes first, while nothing at conv3 is scored.
     */
    @Test
    void aLayersFirstRunHearsWhyBeforeItsPicturesAreScored() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        ClientMessage.Start start = (ClientMessage.Start) Protocol.decode("""
                {"op": "start", "model": "emoji-cnn", "steps": 3, "objective": {"type": "channel", "layer": "conv3", "filter": 0}}""");
        List<io.filterscope.engine.objective.Objective> objectives = RunRequest.parse(start, store::load).objectives();
        ExampleActivations pictures = store.load("emoji-cnn").exampleActivations();
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        ComputeService service = new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 120_000, 3_000, false, 1),
                (run, message, droppable) -> {
                    if (message instanceof io.filterscope.server.protocol.ServerEvent.Preparing p) {
                        // On the encoder thread, as the event goes out: what the start had done by then.
                        events.add(p.reason() + (pictures.scored(objectives) ? " (conv3 scored)" : " (conv3 unscored)"));
                    } else if (message instanceof io.filterscope.server.protocol.ServerEvent.Started) {
                        events.add("started");
                    }
                });
        try {
            service.startWhenScored("r1", "c", start).get(2, TimeUnit.MINUTES);
            waitFor(() -> events.contains("started"));

            assertEquals(List.of("loading model emoji-cnn (conv3 unscored)",
                    "scoring emoji-cnn's example pictures at conv3 (a layer's first run) (conv3 unscored)",
                    "compiling emoji-cnn for 1 image of 64 px (conv3 scored)", "started"), events);
        } finally {
            service.shutdown(10_000);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
    }
}
