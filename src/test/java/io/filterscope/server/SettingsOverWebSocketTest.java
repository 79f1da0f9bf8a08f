package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.quality.GalleryLegend;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings schema as served, and presets and penalty objectives as a client uses them. */
class SettingsOverWebSocketTest {
    @TempDir
    static Path models;
    static FilterScopeServer server;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
    }

    private static JsonObject start(JsonObject objective, int steps) {
        return new JsonObject().put("op", "start").put("model", "tiny").put("objective", objective).put("steps", steps);
    }

    private static JsonObject channel(String layer, int filter) {
        return new JsonObject().put("type", "channel").put("layer", layer).put("filter", filter);
    }

    @Test
    void theSchemaListsEverySettingWithItsDefaultPerPreset() throws Exception {
        JsonObject schema = new JsonObject(TestClient.get(server.port(), "/api/params", null).body());
        JsonObject blur = schema.getJsonArray("params").stream().map(JsonObject.class::cast)
                .filter(p -> p.getString("name").equals("blurSigma")).findFirst().orElseThrow();
        assertEquals("px", blur.getString("unit"));
        assertEquals(10.0, blur.getDouble("max"));
        assertEquals(0.5, blur.getJsonObject("defaults").getDouble("seed-classic"));
        assertEquals(List.of("plain", "seed-classic", "seed-smooth", "natural", "data-prior"),
                schema.getJsonArray("presets").stream().map(p -> ((JsonObject) p).getString("name")).toList());
        assertEquals("data-prior", schema.getJsonObject("defaultPreset").getString("class"));
    }

    /**
     * The page words a gallery's marks as gallery's PNG does, from one list: the schema serves every entry of it (what
     * "dead" means too, which the page's template shows), and the template shows the same words.
     */
    @Test
    void theSchemaAndThePageCarryTheGallerysLegend() throws Exception {
        JsonObject legend = new JsonObject(TestClient.get(server.port(), "/api/params", null).body()).getJsonObject("legend");
        assertEquals(GalleryLegend.DEAD, legend.getString("dead"));
        assertEquals(GalleryLegend.FLAT_MARK, legend.getString("flatMark"));
        assertEquals(GalleryLegend.FLAT_TRUTH, legend.getString("flatTruth"));
        assertEquals(GalleryLegend.PREFERS_FLAT, legend.getString("prefersFlat"));
        assertEquals(GalleryLegend.entries(), legend.getMap());
        String page = TestClient.get(server.port(), "/", null).body();
        assertTrue(page.contains(legend.getString("dead")), page);
    }

    @Test
    void aNamedPresetRunsAndAnUnknownOneIsRefused() throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            // Lucid's recipe pads the image by 12 px: the network sees 52 px, which conv layers take.
            client.send(start(channel("conv2", 1), 4).put("preset", "natural").put("tag", "lucid"));
            String run = client.nextEvent("started").getString("run");
            JsonObject done = client.nextEvent("done");
            assertEquals("completed", done.getString("reason"), done.encode());
            assertEquals(28, client.frames(run).get(0).header().getInteger("width"), "frames show the image, not its border");
            client.send(start(channel("conv2", 1), 4).put("preset", "pretty").put("tag", "x"));
            JsonObject error = client.nextEvent("error");
            assertEquals("not_found", error.getString("code"));
            assertTrue(error.getString("message").contains("unknown preset 'pretty'"), error.encode());
        }
    }

    @Test
    void penaltiesAreObjectiveTermsOnTheWire() throws Exception {
        JsonObject sum = new JsonObject().put("type", "sum").put("terms", new JsonArray()
                .add(new JsonObject().put("weight", 0.2).put("objective", channel("conv1", 0)))
                .add(new JsonObject().put("weight", 0.8).put("objective", channel("conv2", 3)))
                .add(new JsonObject().put("weight", -0.001).put("objective", new JsonObject().put("type", "tv"))));
        try (TestClient client = TestClient.connect(server.port())) {
            client.send(start(sum, 5));
            client.nextEvent("started");
            assertEquals("completed", client.nextEvent("done").getString("reason"));
        }
    }

    @Test
    void anUpdateMayChangeLiveSettingsButNotFixedOnes() throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            client.send(start(channel("conv2", 1), 100_000));
            String run = client.nextEvent("started").getString("run");
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("tv", 2.0)));
            client.nextEvent("updated");
            client.send(new JsonObject().put("op", "update").put("run", run)
                    .put("params", new JsonObject().put("parameterization", "pixel")));
            assertTrue(client.nextEvent("error").getString("message").contains("cannot change while a run goes"));
            client.send(new JsonObject().put("op", "stop").put("run", run));
            assertEquals("stopped", client.nextEvent("done").getString("reason"));
        }
    }

    /**
     * A refused update names the fixed settings it would change (those /api/params marks not live), not "parameterization
     * and decorrelate" whatever was asked; a fixed setting sent again unchanged is no change.
     */
    @Test
    void anUpdateOfAFixedSettingNamesThatSetting() throws Exception {
        try (TestClient client = TestClient.connect(server.port())) {
            client.send(start(channel("conv2", 1), 100_000).put("preset", "plain").put("params", new JsonObject().put("init", "noise")));
            String run = client.nextEvent("started").getString("run");
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("init", "examples")));
            assertEquals("init cannot change while a run goes; start a new run", client.nextEvent("error").getString("message"));
            client.send(new JsonObject().put("op", "update").put("run", run)
                    .put("params", new JsonObject().put("pad", 4).put("init", "examples")));
            assertEquals("init and pad cannot change while a run goes; start a new run", client.nextEvent("error").getString("message"));
            client.send(new JsonObject().put("op", "update").put("run", run).put("params", new JsonObject().put("init", "noise").put("tv", 1.0)));
            client.nextEvent("updated");
            client.send(new JsonObject().put("op", "stop").put("run", run));
            assertEquals("stopped", client.nextEvent("done").getString("reason"));
        }
    }
}
