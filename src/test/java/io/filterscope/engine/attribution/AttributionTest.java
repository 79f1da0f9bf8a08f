package io.filterscope.engine.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A network whose answer is known: class k is the summed evidence of channel k of a 4-channel "feature" layer,
 * and each of those channels sees only one colour plane of the image (through a blob detector that ignores
 * faint noise). An image lit in plane 0 only in its
 * top-left quadrant and in plane 1 only in its bottom-right quadrant holds class 0's evidence top left and
 * class 1's bottom right; a map that explains class 0 must put its mass top left.
 */
class AttributionTest {
    private static final int SIDE = 16;

    private static Network network() {
        INDArray w = Nd4j.zeros(DataType.DOUBLE, 4, 2, 3, 3);
        for (int k = 0; k < 4; k++) {
            // Channel k reads plane k % 2 through a 3x3 box: a blob detector.
            for (int u = 0; u < 3; u++) {
                for (int v = 0; v < 3; v++) {
                    w.putScalar(new long[] {k, k % 2, u, v}, k < 2 ? 1.0 / 9 : 0.5 / 9);
                }
            }
        }
        INDArray dense = Nd4j.zeros(DataType.DOUBLE, 4 * 8 * 8, 2);
        for (int p = 0; p < 64; p++) {
            dense.putScalar(new long[] {p, 0}, 1);           // class 0: channel 0's evidence
            dense.putScalar(new long[] {64 + p, 1}, 1);      // class 1: channel 1's evidence
        }
        ModelGraph.Builder g = ModelGraph.builder();
        // A negative bias: noise of the background alone never lights a blob detector.
        INDArray bias = Nd4j.valueArrayOf(new long[] {4}, -0.3, DataType.DOUBLE);
        int conv = g.add("features", Ops.conv2d(w, bias, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, false), ModelGraph.INPUT);
        int relu = g.name("features", g.add("features", Ops.relu(), conv));
        int pool = g.name("pool", g.add("pool", Ops.pool(false, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, false), relu));
        int flat = g.name("flat", g.add("flat", Ops.flatten(), pool));
        g.name("logits", g.add("logits", Ops.dense(dense, null), flat));
        return g.build().compile(DataType.DOUBLE, 1, new long[] {2, SIDE, SIDE});
    }

    /** Plane 0 lit in the top-left quadrant, plane 1 in the bottom-right one; zero elsewhere. */
    private static INDArray quadrantImage() {
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 2, SIDE, SIDE);
        int h = SIDE / 2;
        x.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.interval(2, h - 2), NDArrayIndex.interval(2, h - 2)).assign(1);
        x.get(NDArrayIndex.point(0), NDArrayIndex.point(1), NDArrayIndex.interval(h + 2, SIDE - 2), NDArrayIndex.interval(h + 2, SIDE - 2)).assign(1);
        return x;
    }

    /** Share of the map's mass in the quadrant (0: top left, 3: bottom right). */
    private static double massIn(float[][] map, int quadrant) {
        double inside = 0;
        double all = 0;
        for (int y = 0; y < map.length; y++) {
            for (int x = 0; x < map[y].length; x++) {
                all += map[y][x];
                int q = (y < map.length / 2 ? 0 : 2) + (x < map[y].length / 2 ? 0 : 1);
                inside += q == quadrant ? map[y][x] : 0;
            }
        }
        return inside / all;
    }

    private static void assertExplainsEachClassInItsQuadrant(Attribution method, double share) {
        Network net = network();
        for (int cls = 0; cls < 2; cls++) {
            float[][] map = method.explain(net, quadrantImage(), "logits", cls);
            assertEquals(SIDE, map.length);
            assertEquals(SIDE, map[0].length);
            int quadrant = cls == 0 ? 0 : 3;
            assertTrue(massIn(map, quadrant) > share, method + " class " + cls + ": share in its quadrant "
                    + massIn(map, quadrant));
            float max = 0;
            for (float[] row : map) {
                for (float v : row) {
                    assertTrue(v >= 0 && v <= 1, "values in [0, 1]: " + v);
                    max = Math.max(max, v);
                }
            }
            assertEquals(1, max, 1e-6);
        }
    }

    @Test
    void gradCamPutsEachClassInTheQuadrantHoldingItsEvidence() {
        assertExplainsEachClassInItsQuadrant(new GradCam("features"), 0.9);
    }

    @Test
    void saliencyPutsEachClassInTheQuadrantHoldingItsEvidence() {
        assertExplainsEachClassInItsQuadrant(new Saliency(), 0.9);
    }

    @Test
    void smoothGradPutsEachClassInTheQuadrantHoldingItsEvidence() {
        assertExplainsEachClassInItsQuadrant(new SmoothGrad(16, 0.1, 3), 0.6);
    }

    @Test
    void gradCamOnAPooledLayerIsStretchedToTheImagesSize() {
        float[][] map = new GradCam("pool").explain(network(), quadrantImage(), "logits", 1);
        assertEquals(SIDE, map.length);
        assertTrue(massIn(map, 3) > 0.8, "share " + massIn(map, 3));
    }

    @Test
    void gradCamOnALayerWithoutMapsOrAMissingClassIsRefused() {
        Network net = network();
        assertThrows(IllegalArgumentException.class, () -> new GradCam("logits").explain(net, quadrantImage(), "logits", 0));
        String flat = assertThrows(IllegalArgumentException.class,
                () -> new GradCam("flat").explain(net, quadrantImage(), "logits", 0)).getMessage();
        assertEquals("Grad-CAM needs a layer with feature maps [c, h, w]; flat (flatten) gives [256]", flat);
        assertThrows(IllegalArgumentException.class, () -> new GradCam("nope").explain(net, quadrantImage(), "logits", 0));
        assertThrows(IllegalArgumentException.class, () -> new Saliency().explain(net, quadrantImage(), "logits", 2));
    }

    @Test
    void gradientAtALayerIsWhatTheInputGradientIsMadeOf() {
        // A per-channel scale right after the input: d/dx = scale * d/d(scaled), channel by channel.
        ModelGraph.Builder g = ModelGraph.builder();
        INDArray scale = Nd4j.createFromArray(2.0, -3.0);
        int a = g.name("scaled", g.add("scaled", Ops.affine(scale, Nd4j.zeros(DataType.DOUBLE, 2)), ModelGraph.INPUT));
        int relu = g.add(null, Ops.relu(), a);
        int flat = g.add(null, Ops.flatten(), relu);
        g.name("out", g.add("out", Ops.dense(Nd4j.rand(DataType.DOUBLE, 2 * 4 * 4, 3), null), flat));
        Network net = g.build().compile(DataType.DOUBLE, 1, new long[] {2, 4, 4});
        INDArray x = Nd4j.randn(DataType.DOUBLE, 1, 2, 4, 4);
        Attribution.forwardAndSeed(net, x, "out", 1, List.of("out"));
        INDArray atLayer = net.backwardTo("scaled", List.of("out")).dup();
        INDArray atInput = net.backward(List.of("out"), 0);
        for (int c = 0; c < 2; c++) {
            INDArray expected = atLayer.get(NDArrayIndex.all(), NDArrayIndex.point(c)).mul(scale.getDouble(c));
            assertEquals(expected, atInput.get(NDArrayIndex.all(), NDArrayIndex.point(c)));
        }
        assertTrue(atLayer.amaxNumber().doubleValue() > 0);
    }

    @Test
    void predictionsAreSoftmaxProbabilitiesMostProbableFirst() {
        List<Predictions.Prediction> top = Predictions.top(new float[] {1, 3, 2, 5}, 3);
        assertEquals(List.of(3, 1, 2), top.stream().map(Predictions.Prediction::index).toList());
        double total = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(5);
        assertEquals(Math.exp(5) / total, top.get(0).probability(), 1e-6);
        assertEquals(1.0, Predictions.top(new float[] {0, 1000}, 1).get(0).probability(), 1e-9);
        List<Predictions.Prediction> all = Predictions.top(new float[] {0, (float) Math.log(3)}, 5);
        assertEquals(0.75, all.get(0).probability(), 1e-6);
        assertEquals(0.25, all.get(1).probability(), 1e-6);
    }
}
