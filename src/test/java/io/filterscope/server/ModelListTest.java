package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model list, a page's first request, reads files only: it is answered beside the device, not after the compute
 * thread's current work and the other clients' queries (in the soak's query lane it once took over 5 s).
 */
class ModelListTest {
    @Test
    void theModelListIsAnsweredWhileTheComputeThreadIsBusy(@TempDir Path models) throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        Vertx vertx = Vertx.vertx();
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            CompletableFuture<Object> busy = server.workers().get(0).service().call(() -> {
                Thread.sleep(4000); // standing for a long step, load or piece of a query
                return null;
            });
            Thread.sleep(200);
            long asked = System.nanoTime();
            Peer.Response listing = peer.get(server.port(), "/api/models");
            double ms = (System.nanoTime() - asked) / 1e6;
            assertEquals(200, listing.status(), listing.body().toString());
            assertEquals("tiny", listing.body().toJsonArray().getJsonObject(0).getString("id"));
            assertFalse(busy.isDone(), "the compute thread was still busy when the list came");
            assertTrue(ms < 2000, "answered beside the busy compute thread, not after it: " + ms + " ms");
            busy.get(10, TimeUnit.SECONDS);
        } finally {
            server.closeAndWait();
            vertx.close();
        }
    }
}
