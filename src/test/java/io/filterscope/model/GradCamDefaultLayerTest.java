package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.filterscope.UserError;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Op;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
import io.filterscope.engine.param.InputSpace;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Grad-CAM's default layer is the output of the last convolution block (after its norm and activation), so the same
 * network exported with its batch norms and exported with them folded into its convolutions (PyTorch's ONNX export
 * does that), whose last convolutions differ, explain the same maps.
 */
class GradCamDefaultLayerTest {
    @Test
    void anExportKeepingItsNormsAndOneWithThemFoldedDefaultToTheSameBlockOutput(@TempDir Path dir) {
        assertEquals("r2", AttributionMaps.lastConvolutionBlock(model(dir, true, false)));
        assertEquals("r2", AttributionMaps.lastConvolutionBlock(model(dir, false, false)));
    }

    @Test
    void aPoolAfterTheLastConvolutionBlockIsNotPartOfIt(@TempDir Path dir) {
        assertEquals("r2", AttributionMaps.lastConvolutionBlock(model(dir, true, true)));
    }

    /**
     * A global pool keeping its dimensions gives [c, 1, 1] maps: Grad-CAM's map of one position is one flat colour (it was
     * all 1.0), so it is refused naming the layer, and it is no default.
     */
    @Test
    void aGlobalPoolsMapsOfOnePositionAreRefusedForGradCam(@TempDir Path dir) {
        ModelGraph.Builder g = ModelGraph.builder();
        int n = g.name("c1", g.add("c1", conv(3), ModelGraph.INPUT));
        n = g.name("gap", g.add("gap", Ops.globalPool(Ops.GlobalPool.AVG, true), n));
        n = g.name("flat", g.add("flat", Ops.flatten(), n));
        g.name("logits", g.add("logits", Ops.dense(Nd4j.randn(DataType.FLOAT, 4, 2), null), n));
        ModelMetadata meta = new ModelMetadata("pooled", "a convolution and a global pool", "pooled.onnx", List.of(3, 8, 8),
                InputSpace.UNIT, List.of("a", "b"), null, null);
        LoadedModel model = new LoadedModel(meta, g.build(), dir, false, NetworkCache.unbounded());
        java.awt.image.BufferedImage picture = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
        UserError refused = assertThrows(UserError.class,
                () -> AttributionMaps.explain(model, picture, AttributionMaps.Method.GRADCAM, null, "gap"));
        assertEquals("Grad-CAM needs feature maps with more than one position; gap (global avgpool) gives [4, 1, 1] at the"
                + " model's input size, so its map has no spatial extent", refused.getMessage());
        assertEquals("c1", AttributionMaps.lastConvolutionBlock(model));
        assertEquals("c1", AttributionMaps.explain(model, picture, AttributionMaps.Method.GRADCAM, null, null).layer());
    }

    /**
     * An Inception block ends in the concatenation of its branches, the last of which holds the model's last convolution:
     * the default is the concatenation (and the activation after it), not that one branch's part of the maps.
     */
    @Test
    void anInceptionBlocksConcatenationIsPartOfTheLastBlock(@TempDir Path dir) {
        ModelGraph.Builder g = ModelGraph.builder();
        int a = g.name("ra", g.add("ra", Ops.relu(), g.name("ca", g.add("ca", conv(3), ModelGraph.INPUT))));
        int b = g.name("rb", g.add("rb", Ops.relu(), g.name("cb", g.add("cb", conv(3), ModelGraph.INPUT))));
        int n = g.name("mixed", g.add("mixed", Ops.concat(), a, b));
        n = g.name("out", g.add("out", Ops.relu(), n));
        n = g.name("gap", g.add("gap", Ops.globalPool(Ops.GlobalPool.AVG, false), n));
        g.name("logits", g.add("logits", Ops.dense(Nd4j.randn(DataType.FLOAT, 8, 2), null), n));
        ModelMetadata meta = new ModelMetadata("inception", "two branches joined", "inception.onnx", List.of(3, 8, 8),
                InputSpace.UNIT, List.of("a", "b"), null, null);
        LoadedModel model = new LoadedModel(meta, g.build(), dir, false, NetworkCache.unbounded());
        assertEquals("out", AttributionMaps.lastConvolutionBlock(model));
    }

    /** c1 conv 3x3 - r1 ReLU - c2 conv 3x3 - bn (when {@code norm}) - r2 ReLU - pool 2x2 (when {@code pool}), on 3 x 8 x 8. */
    private static LoadedModel model(Path dir, boolean norm, boolean pool) {
        Nd4j.getRandom().setSeed(3);
        ModelGraph.Builder g = ModelGraph.builder();
        int n = g.name("c1", g.add("c1", conv(3), ModelGraph.INPUT));
        n = g.name("r1", g.add("r1", Ops.relu(), n));
        n = g.name("c2", g.add("c2", conv(4), n));
        if (norm) {
            n = g.name("bn", g.add("bn", Ops.batchNorm(Nd4j.rand(DataType.FLOAT, 4), Nd4j.rand(DataType.FLOAT, 4),
                    Nd4j.rand(DataType.FLOAT, 4), Nd4j.rand(DataType.FLOAT, 4).addi(0.5), 1e-3), n));
        }
        n = g.name("r2", g.add("r2", Ops.relu(), n));
        if (pool) {
            g.name("pool", g.add("pool", Ops.pool(true, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, false), n));
        }
        ModelMetadata meta = new ModelMetadata("blocks", "two convolution blocks", "blocks.onnx", List.of(3, 8, 8),
                InputSpace.UNIT, null, null, null);
        return new LoadedModel(meta, g.build(), dir, false, NetworkCache.unbounded());
    }

    /** A 3x3 convolution of {@code in} channels to 4, keeping the size. */
    private static Op conv(int in) {
        return Ops.conv2d(Nd4j.randn(DataType.FLOAT, 4, in, 3, 3), Nd4j.randn(DataType.FLOAT, 4), new int[] {1, 1}, Padding.same(),
                new int[] {1, 1}, 1);
    }
}
