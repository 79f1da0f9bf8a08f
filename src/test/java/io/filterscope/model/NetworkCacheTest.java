package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.Network;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a network will take is known before it is compiled, and idle networks are kept within a byte bound, LRU first out. */
class NetworkCacheTest {
    @Test
    void theVolumePlannedFromShapesIsTheVolumeOfTheCompiledNetwork(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        FixtureModels.writeGraph(dir, "graph");
        ModelStore store = new ModelStore(dir);
        LoadedModel lenet = store.load("tiny");
        LoadedModel graph = store.load("graph");
        Network own = lenet.cached(1, 28);
        for (int[] bs : new int[][] {{1, 28}, {3, 28}, {1, 56}, {2, 100}, {1, 16}}) {
            Network net = lenet.compile(bs[0], bs[1]);
            assertEquals(net.activationVolume(), own.activationVolume(bs[0], bs[1], bs[1]), "LeNet " + bs[0] + "x" + bs[1]);
            assertEquals(lenet.bytesOf(net), lenet.bytesFor(bs[0], bs[1]));
        }
        Network graphOwn = graph.cached(1, 10);
        for (int size : new int[] {10, 16, 33}) {
            assertEquals(graph.compile(2, size).activationVolume(), graphOwn.activationVolume(2, size, size),
                    "residual and concatenating graph at " + size + " px");
        }
    }

    @Test
    void idleNetworksAreReusedAndTheLeastRecentlyUsedGoFirst(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        LoadedModel probe = new ModelStore(dir).load("tiny");
        long one = probe.bytesFor(1, 40);
        NetworkCache cache = new NetworkCache(one * 5 / 2);
        LoadedModel model = new ModelStore(dir, cache).load("tiny");

        Network a = model.borrow(1, 40);
        model.release(a);
        assertSame(a, model.borrow(1, 40), "the same batch and size reuse the idle network");
        Network b = model.borrow(1, 41);
        Network c = model.borrow(1, 42);
        model.release(a);
        model.release(b);
        assertTrue(cache.bytes() <= one * 5 / 2);
        model.release(c); // three do not fit: a, the least recently used, goes
        assertTrue(cache.bytes() <= one * 5 / 2, cache.bytes() + " bytes cached, bound " + one * 5 / 2);
        assertNotSame(a, model.borrow(1, 40), "evicted");
        assertSame(c, model.borrow(1, 42));
        model.release(c);
        assertTrue(cache.trimTo(0) > 0);
        assertEquals(0, cache.bytes());
    }
}
