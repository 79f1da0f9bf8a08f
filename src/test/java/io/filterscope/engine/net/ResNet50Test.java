package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.TestNets;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.model.ResNet50;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** DL4J's zoo ResNet50 (random weights, random batch norm statistics), in double precision at 64 px. */
class ResNet50Test {
    private static final long[] SMALL = {3, 64, 64};
    private static final List<String> VERTICES = List.of("stem-act1", "stem-maxpool1", "bn2a_branch1", "bn2a_branch2c",
            "res3a_branch", "bn4b_branch2c", "res4b_branch", "res5c_branch");
    private static ComputationGraph resnet;

    @BeforeAll
    static void build() {
        // The zoo model only initializes at sizes its last pooling fits (224 here); its convolutions take 64 px.
        resnet = ((ComputationGraph) ResNet50.builder().numClasses(10).inputShape(new int[] {3, 224, 224}).build().init())
                .convertDataType(DataType.DOUBLE);
        TestNets.randomizeBatchNorm(resnet, 9);
    }

    @Test
    void forwardMatchesDl4jAtVerticesAcrossTheNetwork() {
        Network net = Dl4jReader.read(resnet).compile(DataType.DOUBLE, 2, SMALL);
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 64, 64);
        net.input().assign(x);
        net.forward(Set.of("res5c_branch"));
        // DL4J's full forward pass would fail at its last pooling; stop it at the last residual block.
        Map<String, INDArray> reference = resnet.feedForward(x, layerIndex("res5c_branch"), false);
        for (String v : VERTICES) {
            INDArray theirs = reference.get(v);
            INDArray ours = net.output(v);
            double scale = Math.max(1, theirs.amaxNumber().doubleValue());
            assertEquals(0, ours.sub(theirs).amaxNumber().doubleValue(), 1e-9 * scale, v);
        }
        // DL4J applies the ReLU after a residual addition in place, so its map holds no sum to compare with: the
        // sum is checked against DL4J's two branches instead.
        INDArray sum = reference.get("bn2a_branch2c").add(reference.get("bn2a_branch1"));
        assertEquals(0, net.output("short2a_branch").sub(sum).amaxNumber().doubleValue(),
                1e-9 * Math.max(1, sum.amaxNumber().doubleValue()));
    }

    /** The position among DL4J's layers, which is what its feedForward counts to (not the vertex index). */
    private static int layerIndex(String name) {
        var layers = resnet.getLayers();
        for (int i = 0; i < layers.length; i++) {
            if (name.equals(layers[i].conf().getLayer().getLayerName())) {
                return i;
            }
        }
        throw new IllegalArgumentException(name);
    }

    @Test
    void channelObjectiveGradientMatchesFiniteDifferences() {
        List<Objective> objectives = List.of(new ChannelObjective("res3a_branch", 17), new ChannelObjective("short4b_branch", 5));
        Network net = Dl4jReader.read(resnet).compile(DataType.DOUBLE, 2, SMALL);
        Set<String> layers = Set.of("res3a_branch", "short4b_branch");
        java.util.function.Function<INDArray, Double> total = x -> {
            net.input().assign(x);
            net.forward(layers);
            net.clearGradients(layers);
            return objectives.get(0).evaluate(net, 0, 1.0) + objectives.get(1).evaluate(net, 1, 1.0);
        };
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 64, 64);
        total.apply(x);
        INDArray gradient = net.backward(layers, 0).dup();
        assertTrue(gradient.amaxNumber().doubleValue() > 0, "gradient is all zero");
        FiniteDifferences.assertDirectionalDerivatives(total, x, gradient, 3, 1e-5);
    }

    @Test
    void listsEveryConvolutionalLayerWithChannelsAndShape() {
        Network small = Dl4jReader.read(resnet).compile(DataType.FLOAT, 1, SMALL);
        assertEquals(List.of(64L, 8L, 8L), small.layer("res2a_branch2a").outputShape());
        assertEquals(List.of(256L, 8L, 8L), small.layer("short2a_branch").outputShape());
        assertEquals("add", small.layer("short2a_branch").kind());
        assertEquals(List.of(2048L, 1L, 1L), small.layer("res5c_branch").outputShape());
        assertNull(small.layer("output"), "64 px is too small for the last pooling and the dense output");
        assertTrue(small.unavailable("output").contains("not available for 64x64"), small.unavailable("output"));
        Network full = Dl4jReader.read(resnet).compile(DataType.FLOAT, 1, new long[] {3, 224, 224});
        long convs = full.layers().stream().filter(l -> l.kind().startsWith("conv2d")).count();
        assertEquals(53, convs);
        assertEquals(10, full.layer("output").channels());
        assertEquals(List.of(2048L, 4L, 4L), full.layer("res5c_branch").outputShape());
    }
}
