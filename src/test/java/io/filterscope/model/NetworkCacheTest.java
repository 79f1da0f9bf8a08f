package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
import io.filterscope.engine.param.InputSpace;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

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

    /**
     * A convolution read only by its batch norm is compiled with the norm folded into a copy of its weights: that copy is
     * memory of every network compiled, and a network's bytes (what a run reserves from the memory budget, and what this
     * cache holds) count it as they count the model's weights. The same pair with an identity between, which nothing
     * folds through, has no copy; it allocates one map more (the identity's output), so it takes a few kB more, not less.
     */
    @Test
    void theWeightsOfConvolutionsFoldedWithTheirNormsCountInANetworksBytes(@TempDir Path dir) {
        LoadedModel folded = convolutionAndNorm(dir, false);
        LoadedModel apart = convolutionAndNorm(dir, true);
        Network f = folded.compile(1, 4);
        Network a = apart.compile(1, 4);
        long weights = 32 * 32 * 3 * 3 + 32;
        assertEquals(folded.bytesFor(1, 4), folded.bytesOf(f), "what a run reserves is what the network takes");
        long copy = folded.bytesOf(f) - apart.bytesOf(a);
        assertTrue(copy >= 3L * Float.BYTES * weights, "the folded copy of " + weights + " weights adds only " + copy + " bytes");
        NetworkCache cache = new NetworkCache(Long.MAX_VALUE);
        cache.put(folded, f);
        assertEquals(folded.bytesOf(f), cache.bytes());
    }

    /** conv 3x3 (32 to 32 channels, on 32 x 4 x 4) then a batch norm; {@code apart}: an identity between the two. */
    private static LoadedModel convolutionAndNorm(Path dir, boolean apart) {
        DataType type = DataType.FLOAT;
        Nd4j.getRandom().setSeed(5);
        ModelGraph.Builder g = ModelGraph.builder();
        int n = g.name("conv", g.add("conv", Ops.conv2d(Nd4j.randn(type, 32, 32, 3, 3),
                Nd4j.randn(type, 32), new int[] {1, 1}, Padding.same(), new int[] {1, 1}, 1), ModelGraph.INPUT));
        if (apart) {
            n = g.add(null, Ops.scale(1, 0), n);
        }
        g.name("bn", g.add("bn", Ops.batchNorm(Nd4j.rand(type, 32), Nd4j.rand(type, 32),
                Nd4j.rand(type, 32), Nd4j.rand(type, 32).addi(0.5), 1e-3), n));
        ModelMetadata meta = new ModelMetadata("pair", "a convolution and its norm", "pair.zip", List.of(32, 4, 4),
                InputSpace.UNIT, null, null, null);
        return new LoadedModel(meta, g.build(), dir, false, NetworkCache.unbounded());
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
