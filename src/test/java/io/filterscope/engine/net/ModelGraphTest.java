package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModelGraphTest {

    /** conv 3x3 (2 filters) + relu, named "conv"; a residual-free branch: flatten + dense, named "out". */
    private static ModelGraph graph(INDArray w, INDArray b, INDArray dense) {
        ModelGraph.Builder g = ModelGraph.builder();
        int conv = g.add("conv", Ops.conv2d(w, b, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, false), ModelGraph.INPUT);
        int relu = g.name("conv", g.add("conv", Ops.relu(), conv));
        int flat = g.add(null, Ops.flatten(), relu);
        g.name("out", g.add("out", Ops.dense(dense, null), flat));
        return g.build();
    }

    @Test
    void compiledGraphComputesConvolutionReluAndDenseAsWrittenOutByHand() {
        Nd4j.getRandom().setSeed(1);
        INDArray w = Nd4j.randn(DataType.DOUBLE, 2, 1, 3, 3);
        INDArray b = Nd4j.randn(DataType.DOUBLE, 2);
        INDArray dense = Nd4j.randn(DataType.DOUBLE, 2 * 3 * 3, 4);
        Network net = graph(w, b, dense).compile(DataType.DOUBLE, 1, new long[] {1, 5, 5});
        INDArray x = Nd4j.randn(DataType.DOUBLE, 1, 1, 5, 5);
        net.input().assign(x);
        net.forward(Set.of("out"));
        double[] flat = new double[18];
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double s = b.getDouble(c);
                    for (int u = 0; u < 3; u++) {
                        for (int v = 0; v < 3; v++) {
                            s += w.getDouble(c, 0, u, v) * x.getDouble(0, 0, i + u, j + v);
                        }
                    }
                    flat[c * 9 + i * 3 + j] = Math.max(0, s);
                    assertEquals(Math.max(0, s), net.output("conv").getDouble(0, c, i, j), 1e-12);
                }
            }
        }
        for (int k = 0; k < 4; k++) {
            double s = 0;
            for (int i = 0; i < 18; i++) {
                s += flat[i] * dense.getDouble(i, k);
            }
            assertEquals(s, net.output("out").getDouble(0, k), 1e-10);
        }
    }

    @Test
    void graphTakesAnyBatchAndSizeAndListsItsLayers() {
        INDArray w = Nd4j.randn(DataType.FLOAT, 2, 1, 3, 3);
        ModelGraph graph = graph(w, null, Nd4j.randn(DataType.FLOAT, 18, 4));
        assertEquals(List.of("conv", "out"), graph.layerNames());
        Network small = graph.compile(DataType.FLOAT, 3, new long[] {1, 5, 5});
        assertEquals(3, small.batch());
        assertEquals("conv2d 3x3+relu", small.layer("conv").kind());
        // At another size the dense layer cannot take the maps: the network ends before it.
        Network large = graph.compile(DataType.FLOAT, 1, new long[] {1, 9, 9});
        assertArrayEquals(new long[] {2, 7, 7}, large.layer("conv").outputShape().stream().mapToLong(Long::longValue).toArray());
        assertEquals(null, large.layer("out"));
    }

    @Test
    void weightsGivenInFloatCompileToDoubleWithTheSameGradientAsFiniteDifferences() {
        Nd4j.getRandom().setSeed(4);
        ModelGraph graph = graph(Nd4j.randn(DataType.FLOAT, 2, 1, 3, 3), Nd4j.randn(DataType.FLOAT, 2),
                Nd4j.randn(DataType.FLOAT, 18, 4));
        Network net = graph.compile(DataType.DOUBLE, 2, new long[] {1, 5, 5});
        FiniteDifferences.assertInputGradient(net, Nd4j.randn(DataType.DOUBLE, 2, 1, 5, 5),
                Map.of("out", Nd4j.randn(DataType.DOUBLE, 2, 4)), 4, 1e-5);
    }

    @Test
    void anOpReadingANodeThatDoesNotExistIsRefused() {
        ModelGraph.Builder g = ModelGraph.builder();
        assertThrows(IllegalArgumentException.class, () -> g.add("x", Ops.relu(), 0));
        assertThrows(UnsupportedLayerException.class, g::build);
    }
}
