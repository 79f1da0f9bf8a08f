package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.image.ImageInput;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.model.NetworkCache;
import io.filterscope.quality.GalleryChecks;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * A finished gallery's {@code done} says which tiles are a flat colour that is their filter's truth and which filters
 * prefer a flat colour ({@link TileVerdicts}); those verdicts are judged outside the worker's lock, after the gallery's
 * last step, so the other compute thread steps meanwhile.
 */
class GalleryVerdictsTest {
    /** emoji-cnn's conv1 filters 0-7 at the model's 64 px: a linear layer, where filters prefer flat colours (docs/emoji.md). */
    private static final String GALLERY = """
            {"op": "start", "model": "emoji-cnn", "steps": 20, "preset": "seed-classic",
             "objective": {"type": "channel", "layer": "conv1", "filters": [0, 1, 2, 3, 4, 5, 6, 7]}}""";
    private static final String UNENDING = """
            {"op": "start", "model": "fashion-cnn", "steps": 100000, "objective": {"type": "channel", "layer": "conv1", "filter": 0}}""";

    /** What a worker sent: each run's done, its last frames' tiles by index, and the step of its latest frame. */
    private static final class Sent {
        final Map<String, CompletableFuture<ServerEvent.Done>> done = new ConcurrentHashMap<>();
        final Map<Integer, float[]> lastTiles = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> latestStep = new ConcurrentHashMap<>();

        CompletableFuture<ServerEvent.Done> done(String run) {
            return done.computeIfAbsent(run, r -> new CompletableFuture<>());
        }

        int latestStep(String run) {
            return latestStep.computeIfAbsent(run, r -> new AtomicInteger()).get();
        }

        void take(String run, Object message) throws Exception {
            if (message instanceof ServerEvent.Done d) {
                done(run).complete(d);
            }
            if (!(message instanceof Buffer frame)) {
                return;
            }
            int length = frame.getInt(0);
            JsonObject header = new JsonObject(frame.getString(4, 4 + length));
            latestStep.computeIfAbsent(run, r -> new AtomicInteger()).accumulateAndGet(header.getInteger("step"), Math::max);
            if (header.getBoolean("last")) {
                var image = ImageIO.read(new ByteArrayInputStream(frame.getBytes(4 + length, frame.length())));
                lastTiles.put(header.getInteger("index"), ImageInput.toPlanes(image, 3, header.getInteger("width"), header.getInteger("height")));
            }
        }
    }

    /**
     * A worker of the bundled models (a store of its own, so nothing is found before it is judged) with two compute
     * threads; {@code wedgedAfterMs} 0 makes its health name whatever a thread is busy with.
     */
    private static ComputeService worker(ModelStore store, Sent sent) {
        return new ComputeService(store, 0, new ComputeService.Settings(2, 2, 4L << 30, 1L << 30, 0, 3_000, false, 2),
                (run, message, droppable) -> {
                    try {
                        sent.take(run, message);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    private static void start(ComputeService service, String run, String client, String request) throws Exception {
        service.call(() -> service.start(run, client, (ClientMessage.Start) Protocol.decode(request))).get(2, TimeUnit.MINUTES);
    }

    @Test
    void aGallerysDoneCarriesTheVerdictsOfTheTilesItsLastFramesShow() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        Sent sent = new Sent();
        ComputeService service = worker(store, sent);
        try {
            start(service, "g", "one", GALLERY);
            ServerEvent.Done done = sent.done("g").get(5, TimeUnit.MINUTES);
            assertEquals(ServerEvent.Done.Reason.COMPLETED, done.reason(), done.toString());
            List<Integer> filters = IntStream.range(0, 8).boxed().toList();
            List<float[]> tiles = new ArrayList<>();
            filters.forEach(i -> tiles.add(sent.lastTiles.get(i)));
            LoadedModel model = store.load("emoji-cnn");
            GalleryChecks checks = GalleryChecks.check(model, "conv1", filters, tiles, new HashSet<>(done.dead()));
            assertEquals(checks.flatTruth(), done.flat());
            assertFalse(checks.prefersFlat().isEmpty(), "a linear layer has filters that prefer a flat colour");
            assertEquals(checks.prefersFlat(), done.prefersFlat().stream().map(ServerEvent.Done.FlatPreference::filter).toList());
            for (ServerEvent.Done.FlatPreference p : done.prefersFlat()) {
                assertEquals(checks.baselines().hex(p.filter()), p.colour());
                assertEquals(checks.baselines().bestFlat()[p.filter()], p.flat());
                assertEquals(checks.scores()[p.filter()], p.tile(), 1e-9, "filter " + p.filter() + "'s tile as its last frame shows it");
            }
        } finally {
            service.shutdown(10_000);
        }
    }

    /**
     * While a gallery's tiles are judged (emoji-cnn's conv1 for the first time: its example pictures' limits and the
     * filters' baselines are found then, a second or more), a run on the other compute thread takes steps: the
     * judging does not hold the worker's lock, which every step needs to begin and to send its frames.
     */
    @Test
    void anotherRunStepsWhileAGallerysTilesAreJudged() throws Exception {
        ModelStore store = new ModelStore(Path.of("models"), NetworkCache.unbounded());
        Sent sent = new Sent();
        ComputeService service = worker(store, sent);
        try {
            start(service, "u", "one", UNENDING);
            start(service, "g", "two", GALLERY);
            assertTrue(service.call(() -> service.threadOf("u") != service.threadOf("g")).get(1, TimeUnit.MINUTES), "each on a thread of its own");
            Integer stepWhenSeen = null;
            int stepLastSeen = 0;
            while (!sent.done("g").isDone()) {
                String detail = service.health().detail();
                if (detail != null && detail.contains("judging the tiles of run g")) {
                    int step = sent.latestStep("u");
                    stepWhenSeen = stepWhenSeen == null ? step : stepWhenSeen;
                    stepLastSeen = step;
                }
                Thread.sleep(1);
            }
            assertNotNull(stepWhenSeen, "the judging was seen in the worker's health");
            assertTrue(stepLastSeen > stepWhenSeen + 2, "run u stepped while g's tiles were judged: from step " + stepWhenSeen
                    + " to " + stepLastSeen);
            assertEquals(ServerEvent.Done.Reason.COMPLETED, sent.done("g").get(1, TimeUnit.MINUTES).reason());
        } finally {
            service.shutdown(10_000);
        }
    }
}
