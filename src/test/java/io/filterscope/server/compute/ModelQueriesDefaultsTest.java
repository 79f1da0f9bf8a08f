package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.model.ModelStore;
import io.filterscope.model.keras.KerasFixtures;
import io.filterscope.server.protocol.Protocol;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model JSON says when a model has no metadata file and runs on defaults. */
class ModelQueriesDefaultsTest {

    @Test
    void modelsWithoutMetadataAreMarkedDefaults(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        KerasFixtures.copy("rgb-functional.h5", dir, "colours.h5");
        ModelQueries queries = new ModelQueries(new ModelStore(dir));
        // As the HTTP API writes them.
        JsonArray models = new JsonArray(Protocol.encode(queries.models().models()));
        assertEquals(2, models.size());
        JsonObject colours = models.getJsonObject(0);
        assertEquals("colours", colours.getString("id"));
        assertTrue(colours.getBoolean("available") && colours.getBoolean("defaults"), colours.encode());
        assertEquals(List.of(3, 16, 16), colours.getJsonArray("inputShape").getList());
        assertFalse(models.getJsonObject(1).getBoolean("defaults"), models.getJsonObject(1).encode());

        JsonObject model = new JsonObject(Protocol.encode(queries.model("colours")));
        assertTrue(model.getBoolean("defaults"));
        assertEquals("conv2d_1", model.getJsonArray("layers").getJsonObject(0).getString("name"));
        assertFalse(new JsonObject(Protocol.encode(queries.model("tiny"))).getBoolean("defaults"));
    }
}
