package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The kinds a model's layer list shows (GET /api/models/{id}, the page's layer menu) read as a person writes them. */
class LayerKindsTest {
    @Test
    void aRescalingShowsFourSignificantDigitsNotADoublesSeventeen() {
        ModelGraph.Builder g = ModelGraph.builder();
        int n = g.name("rescale", g.add("rescale", Ops.scale(1 / 255.0, 0), ModelGraph.INPUT));
        g.name("shift", g.add("shift", Ops.scale(1 / 127.5, -1), n));
        Network net = g.build().compile(DataType.FLOAT, 1, new long[] {3, 4, 4});
        assertEquals("scale 0.003922", net.layer("rescale").kind());
        assertEquals("scale 0.007843-1", net.layer("shift").kind());
    }

    /** The stride is the layer's; how its input gradient is computed is the engine's, shown in profiles only. */
    @Test
    void aStridedConvolutionShowsItsStrideNotItsGradientsOp() {
        ModelGraph.Builder g = ModelGraph.builder();
        g.name("stem", g.add("stem", Ops.conv2d(Nd4j.randn(DataType.FLOAT, 4, 3, 7, 7), null, new int[] {2, 2}, Padding.same(),
                new int[] {1, 1}, 1), ModelGraph.INPUT));
        Network net = g.build().compile(DataType.FLOAT, 1, new long[] {3, 16, 16});
        assertEquals("conv2d 7x7 stride 2", net.layer("stem").kind());
        assertTrue(net.toString().contains("conv2d 7x7 stride 2 (deconv2d gradient)"), net.toString());
    }
}
