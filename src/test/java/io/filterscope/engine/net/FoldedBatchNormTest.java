package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch norms compiled folded into the convolutions before them compute what the unfolded pairs compute, forward and
 * backward, and leave every convolution a layer of its own. The reference is the same graph with an exact identity (a
 * scale by 1) between each convolution and its norm, which a norm cannot be folded through.
 */
class FoldedBatchNormTest {
    private static final long[] CHW = {3, 12, 12};
    private static final List<String> LAST = List.of("last");

    /**
     * conv 3x3 (bias) - bn1 - ReLU6 "r1" - depthwise 3x3 - bn2 - ReLU6 - conv 1x1 (no bias) "pw" - bn3 - add r1 "sum" -
     * conv 1x1 "c4" read by bn4 and by a ReLU "r4" - add "end" - depthwise 3x3 stride 2 "d2" - bn5 "last".
     */
    private static ModelGraph graph(DataType type, boolean unfolded) {
        Nd4j.getRandom().setSeed(11);
        int[] one = {1, 1};
        ModelGraph.Builder g = ModelGraph.builder();
        int n = conv(g, "c1", Nd4j.randn(type, 6, 3, 3, 3), Nd4j.randn(type, 6), one, 1, ModelGraph.INPUT);
        n = norm(g, "bn1", type, 6, unfolded, n);
        int r1 = g.name("r1", g.add("r1", Ops.relu(6, 0, 0), n));
        n = conv(g, "dw", Nd4j.randn(type, 6, 1, 3, 3), Nd4j.randn(type, 6), one, 6, r1);
        n = norm(g, "bn2", type, 6, unfolded, n);
        n = g.name("r2", g.add("r2", Ops.relu(6, 0, 0), n));
        n = conv(g, "pw", Nd4j.randn(type, 6, 6, 1, 1), null, one, 1, n);
        n = norm(g, "bn3", type, 6, unfolded, n);
        n = g.name("sum", g.add("sum", Ops.join(Ops.Join.ADD), n, r1));
        int c4 = conv(g, "c4", Nd4j.randn(type, 6, 6, 1, 1), Nd4j.randn(type, 6), one, 1, n);
        int bn4 = norm(g, "bn4", type, 6, unfolded, c4);
        int r4 = g.name("r4", g.add("r4", Ops.relu(), c4));
        n = g.name("end", g.add("end", Ops.join(Ops.Join.ADD), bn4, r4));
        n = conv(g, "d2", Nd4j.randn(type, 6, 1, 3, 3), null, new int[] {2, 2}, 6, n);
        norm(g, "last", type, 6, unfolded, n);
        return g.build();
    }

    private static int conv(ModelGraph.Builder g, String name, INDArray w, INDArray b, int[] stride, int groups, int from) {
        return g.name(name, g.add(name, Ops.conv2d(w, b, stride, Padding.same(), new int[] {1, 1}, groups), from));
    }

    private static int norm(ModelGraph.Builder g, String name, DataType type, long c, boolean unfolded, int from) {
        int in = unfolded ? g.add(null, Ops.scale(1, 0), from) : from;
        INDArray gamma = Nd4j.randn(type, c);
        INDArray beta = Nd4j.randn(type, c);
        INDArray mean = Nd4j.randn(type, c);
        INDArray variance = Nd4j.rand(type, c).addi(0.5);
        return g.name(name, g.add(name, Ops.batchNorm(gamma, beta, mean, variance, 1e-3), in));
    }

    private static Network network(DataType type, boolean unfolded) {
        return graph(type, unfolded).compile(type, 2, CHW);
    }

    private static double tolerance(DataType type) {
        return type == DataType.DOUBLE ? 1e-10 : 2e-4;
    }

    /** The largest difference relative to the largest value of {@code expected}. */
    private static double relativeError(INDArray actual, INDArray expected) {
        return actual.sub(expected).amaxNumber().doubleValue() / Math.max(1e-12, expected.amaxNumber().doubleValue());
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void aStepComputesWhatTheUnfoldedNetworkComputes(DataType type) {
        Network[] nets = {network(type, false), network(type, true)};
        List<String> targets = List.of("last", "pw", "c1", "bn1");
        Nd4j.getRandom().setSeed(12);
        INDArray x = Nd4j.randn(type, 2, 3, 12, 12);
        INDArray[] gradIn = new INDArray[2];
        Map<String, INDArray> placed = Map.of("last", Nd4j.randn(type, 2, 6, 6, 6), "pw", Nd4j.randn(type, 2, 6, 12, 12),
                "c1", Nd4j.randn(type, 2, 6, 12, 12), "bn1", Nd4j.randn(type, 2, 6, 12, 12));
        for (int k = 0; k < 2; k++) {
            nets[k].input().assign(x);
            nets[k].forward(targets);
            nets[k].clearGradients(targets);
            for (String layer : targets) {
                nets[k].gradient(layer).assign(placed.get(layer));
            }
            gradIn[k] = nets[k].backward(targets, 0).dup();
        }
        for (String layer : List.of("c1", "bn1", "r1", "r2", "pw", "bn3", "sum", "last")) {
            assertEquals(0, relativeError(nets[0].output(layer), nets[1].output(layer)), tolerance(type), layer);
        }
        assertEquals(0, relativeError(gradIn[0], gradIn[1]), tolerance(type));
        assertTrue(gradIn[1].amaxNumber().doubleValue() > 0);
    }

    @Test
    void theInputGradientMatchesFiniteDifferencesWithGradientsAtAConvolutionAndItsNorm() {
        Nd4j.getRandom().setSeed(13);
        Map<String, INDArray> weights = Map.of("last", Nd4j.randn(DataType.DOUBLE, 2, 6, 6, 6),
                "dw", Nd4j.randn(DataType.DOUBLE, 2, 6, 12, 12), "bn2", Nd4j.randn(DataType.DOUBLE, 2, 6, 12, 12));
        FiniteDifferences.assertInputGradient(network(DataType.DOUBLE, false), Nd4j.randn(DataType.DOUBLE, 2, 3, 12, 12),
                weights, 6, 1e-6);
    }

    @Test
    void aFoldedConvolutionRunsOnlyWhenItsOwnOutputIsAskedFor() {
        Network net = network(DataType.FLOAT, false);
        net.forward(LAST);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.output("pw"));
        assertTrue(e.getMessage().contains("pw"), e.getMessage());
        net.output("c4"); // read by its norm and a ReLU: not folded, so computed
        net.forward(List.of("pw"));
        assertEquals(List.of(6L, 12L, 12L), net.layer("pw").outputShape());
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void gradCamsGradientAtAFoldedConvolutionIsTheUnfoldedOnes(DataType type) {
        Network[] nets = {network(type, false), network(type, true)};
        Nd4j.getRandom().setSeed(14);
        INDArray x = Nd4j.randn(type, 2, 3, 12, 12);
        INDArray placed = Nd4j.randn(type, 2, 6, 6, 6);
        for (String layer : List.of("pw", "c1", "d2")) {
            INDArray[] g = new INDArray[2];
            for (int k = 0; k < 2; k++) {
                nets[k].input().assign(x);
                nets[k].forward(List.of("last", layer));
                nets[k].clearGradients(LAST);
                nets[k].gradient("last").assign(placed);
                g[k] = nets[k].backwardTo(layer, LAST).dup();
            }
            assertTrue(g[1].amaxNumber().doubleValue() > 0, layer);
            assertEquals(0, relativeError(g[0], g[1]), tolerance(type), layer);
        }
    }

    @Test
    void normsKeepTheirKindAndTheModelItsParameterCount() {
        Network folded = network(DataType.FLOAT, false);
        Network unfolded = network(DataType.FLOAT, true);
        assertEquals("batchnorm", folded.layer("bn3").kind());
        assertEquals("conv2d 1x1", folded.layer("pw").kind());
        assertEquals(unfolded.parameters(), folded.parameters());
        assertTrue(folded.toString().contains("bn3: conv2d 1x1 + batchnorm (folded)"), folded.toString());
        assertTrue(folded.toString().contains("bn4: batchnorm"), folded.toString());
    }
}
