package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

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
}
