package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.Dl4jReference;
import io.filterscope.model.FixtureModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every objective type over a real WebSocket computes what its name says. A frame's {@code loss} is the
 * objective's value on the image the step started from, which is the image the frame before showed; so
 * the loss of step s + 1 is checked against the objective worked out by DL4J's own inference on frame s's
 * PNG (the 8-bit rounding of the PNG is the only difference, a few percent at most). Also: a filter that never fires is reported
 * in {@code dead}, and one run renders at most 512 images.
 */
class ObjectivesOverWebSocketTest {
    @TempDir
    static Path models;
    static FilterScopeServer server;
    static Dl4jReference tiny;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        // conv1's filter 3 with zero weights and a negative bias: its ReLU output is 0 for every image.
        FixtureModels.writeLeNet(models, "deadly", net -> {
            net.getLayer("conv1").getParam("W").get(NDArrayIndex.point(3)).assign(0);
            net.getLayer("conv1").getParam("b").putScalar(3, -1);
        });
        tiny = Dl4jReference.load(models.resolve("tiny.zip"));
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    /** With the plain preset: no transform, so the network sees exactly the frame before (class objectives' default jitters). */
    private static JsonObject start(String model, JsonObject objective, int steps) {
        return new JsonObject().put("op", "start").put("model", model).put("objective", objective)
                .put("steps", steps).put("seed", 5).put("preset", "plain");
    }

    private static JsonObject channel(String layer, int filter) {
        return new JsonObject().put("type", "channel").put("layer", layer).put("filter", filter);
    }

    /** Runs {@code objective} for a few steps; each step's loss must be {@code expected} of the frame before. */
    private static void assertLossIsTheObjective(JsonObject objective, ToDoubleFunction<INDArray> expected) throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            client.send(start("tiny", objective, 6));
            String run = client.nextEvent("started").getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"), done.encode());
            List<TestClient.Frame> frames = client.frames(run);
            assertEquals(6, frames.size());
            for (int s = 1; s < frames.size(); s++) {
                BufferedImage shown = ImageIO.read(new ByteArrayInputStream(frames.get(s - 1).image()));
                double want = expected.applyAsDouble(Dl4jReference.greyInput(shown));
                double got = frames.get(s).header().getDouble("loss");
                assertEquals(want, got, 0.03 * Math.abs(want) + 0.005, objective.encode() + ": loss of step " + (s + 1));
            }
            double first = frames.get(0).header().getDouble("loss");
            double last = frames.get(5).header().getDouble("loss");
            assertTrue(last > first, objective.encode() + ": the ascent raised the objective from " + first + " to " + last);
            assertEquals(last, done.getDouble("loss"), 1e-9, "done carries the last step's value");
        }
    }

    private static double mean(INDArray a) {
        return a.meanNumber().doubleValue();
    }

    @Test
    void channelIsTheMeanOfOneFiltersMap() throws Exception {
        assertLossIsTheObjective(channel("conv2", 3),
                x -> mean(tiny.activation("conv2", x).get(NDArrayIndex.point(0), NDArrayIndex.point(3))));
    }

    @Test
    void neuronIsOnePositionOfOneFilterAndDefaultsToTheCentre() throws Exception {
        assertLossIsTheObjective(new JsonObject().put("type", "neuron").put("layer", "conv3").put("filter", 5).put("x", 2).put("y", 7),
                x -> tiny.activation("conv3", x).getDouble(0, 5, 7, 2));
        // conv3's map is 10 x 10: the centre is (5, 5).
        assertLossIsTheObjective(new JsonObject().put("type", "neuron").put("layer", "conv3").put("filter", 5),
                x -> tiny.activation("conv3", x).getDouble(0, 5, 5, 5));
    }

    /** At 14 px conv3's map is 3x3 (10x10 at the model's 28): the default neuron is its centre, (1, 1), and the run ascends. */
    @Test
    void aNeuronsDefaultCentreIsThatOfTheMapAtTheRunsSize() throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            client.send(start("tiny", new JsonObject().put("type", "neuron").put("layer", "conv3").put("filter", 5), 6).put("size", 14));
            String run = client.nextEvent("started").getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"), done.encode());
            List<TestClient.Frame> frames = client.frames(run);
            assertTrue(done.getDouble("loss") > frames.get(0).header().getDouble("loss"), done.encode());
        }
    }

    @Test
    void classIsTheOutputLogitBeforeSoftmax() throws Exception {
        assertLossIsTheObjective(new JsonObject().put("type", "class").put("index", 1), x -> tiny.logits(x).getDouble(0, 1));
    }

    @Test
    void deepdreamIsTheMeanSquareOfAWholeLayer() throws Exception {
        assertLossIsTheObjective(new JsonObject().put("type", "deepdream").put("layer", "conv4"), x -> {
            INDArray a = tiny.activation("conv4", x);
            return a.mul(a).meanNumber().doubleValue();
        });
    }

    @Test
    void sumIsTheWeightedSumOfItsTerms() throws Exception {
        JsonObject sum = new JsonObject().put("type", "sum").put("terms", new JsonArray()
                .add(new JsonObject().put("weight", 0.2).put("objective", channel("conv2", 1)))
                .add(new JsonObject().put("weight", 0.8).put("objective", channel("conv4", 7))));
        assertLossIsTheObjective(sum, x -> 0.2 * mean(tiny.activation("conv2", x).get(NDArrayIndex.point(0), NDArrayIndex.point(1)))
                + 0.8 * mean(tiny.activation("conv4", x).get(NDArrayIndex.point(0), NDArrayIndex.point(7))));
    }

    @Test
    void aFilterThatNeverFiresIsListedAsDeadAndOnlyThatOne() throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            JsonObject filters = new JsonObject().put("type", "channel").put("layer", "conv1").put("filters", new JsonArray(List.of(1, 3, 2)));
            client.send(start("deadly", filters, 5));
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"), done.encode());
            assertEquals(new JsonArray(List.of(3)), done.getJsonArray("dead"), done.encode());
            assertEquals(0.0, done.getJsonArray("losses").getDouble(1), 0.0);

            client.send(start("tiny", filters, 5));
            assertEquals(new JsonArray(), client.nextEvent("done").getJsonArray("dead"), "the same filters of the unchanged model fire");
        }
    }

    @Test
    void oneRunRendersAtMost512Images() throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            JsonObject tooMany = start("tiny", new JsonObject().put("type", "channel").put("layer", "conv1")
                    .put("filters", new JsonArray(IntStream.range(0, 513).map(i -> i % 32).boxed().toList())), 1).put("tag", "513");
            client.send(tooMany);
            JsonObject refused = client.nextEvent("error");
            assertEquals("too_large", refused.getString("code"), "as a step over the limits is: the page halves its gallery's page");
            assertEquals("513", refused.getString("tag"));
            assertTrue(refused.getString("message").contains("512"), refused.getString("message"));

            client.send(start("tiny", new JsonObject().put("type", "channel").put("layer", "conv1")
                    .put("filters", new JsonArray(IntStream.range(0, 512).map(i -> i % 32).boxed().toList())), 1));
            String run = client.nextEvent("started").getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"), done.encode());
            assertEquals(512, done.getJsonArray("losses").size());
            assertEquals(512, client.frames(run).size());
        }
    }
}
