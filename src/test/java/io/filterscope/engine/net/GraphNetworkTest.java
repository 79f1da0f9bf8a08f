package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.TestNets;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.L2NormalizeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class GraphNetworkTest {
    private static final long[] CHW = {3, 10, 10};

    @Test
    void forwardMatchesDl4jAtEveryVertex() {
        ComputationGraph dl4j = TestNets.graph(DataType.DOUBLE, 3);
        Network net = Dl4jReader.read(dl4j).compile(DataType.DOUBLE, 2, CHW);
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 10, 10);
        net.input().assign(x);
        net.forward(Set.of("out"));
        Map<String, INDArray> reference = dl4j.feedForward(x, false);
        // DL4J's activation layer applies its ReLU in place, so the map's "cat" is really "act"; rebuild it.
        reference.put("cat", Nd4j.concat(1, reference.get("res"), reference.get("c3"), reference.get("prod"),
                reference.get("diff")));
        for (LayerInfo layer : net.layers()) {
            INDArray ours = net.output(layer.name());
            INDArray theirs = reference.get(layer.name());
            if (layer.name().equals("out")) {
                ours = Transforms.softmax(ours, true);  // ours is exposed before the softmax
            }
            // Relative to the layer's scale: libnd4j's double convolutions differ from DL4J's in the last digits.
            double scale = Math.max(1, theirs.amaxNumber().doubleValue());
            assertEquals(0, ours.sub(theirs.reshape(ours.shape())).amaxNumber().doubleValue(), 1e-9 * scale, layer.name());
        }
    }

    @Test
    void listsEveryComputingVertexWithChannelsAndShapes() {
        Network net = Dl4jReader.read(TestNets.graph(DataType.FLOAT, 1)).compile(DataType.FLOAT, 1, CHW);
        assertEquals(Set.of("c1", "bn", "b2", "pad", "c3", "res", "diff", "prod", "cat", "act", "pool", "gap", "gmax",
                "gsum", "mix", "out"), Set.copyOf(net.layers().stream().map(LayerInfo::name).toList()));
        assertEquals(List.of(15L, 10L, 10L), net.layer("cat").outputShape());
        assertEquals(List.of(4L, 12L, 12L), net.layer("pad").outputShape());
        assertEquals(List.of(15L), net.layer("gap").outputShape());
        assertEquals(15, net.layer("mix").channels());
        assertEquals("add", net.layer("res").kind());
        assertEquals("batchnorm", net.layer("bn").kind());
        assertEquals("out", net.layers().get(net.layers().size() - 1).name());
    }

    @Test
    void inputGradientMatchesFiniteDifferencesThroughMergesAndResiduals() {
        Network net = Dl4jReader.read(TestNets.graph(DataType.DOUBLE, 5)).compile(DataType.DOUBLE, 2, CHW);
        Nd4j.getRandom().setSeed(6);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 10, 10);
        // bn feeds three vertices, res four: their gradients must add up. Gradients are placed at four layers.
        Map<String, INDArray> weights = Map.of("bn", Nd4j.randn(DataType.DOUBLE, 2, 4, 10, 10),
                "cat", Nd4j.randn(DataType.DOUBLE, 2, 15, 10, 10), "diff", Nd4j.randn(DataType.DOUBLE, 2, 4, 10, 10),
                "out", Nd4j.randn(DataType.DOUBLE, 2, 3));
        INDArray g = FiniteDifferences.assertInputGradient(net, x, weights, 6, 1e-6);
        assertTrue(g.amaxNumber().doubleValue() > 0);
    }

    @Test
    void repeatedBackwardPassesGiveTheSameGradient() {
        Network net = Dl4jReader.read(TestNets.graph(DataType.DOUBLE, 7)).compile(DataType.DOUBLE, 1, CHW);
        net.input().assign(Nd4j.randn(DataType.DOUBLE, 1, 3, 10, 10));
        Set<String> layers = Set.of("res", "gap");
        net.forward(layers);
        net.clearGradients(layers);
        net.gradient("res").assign(1);
        net.gradient("gap").assign(2);
        INDArray first = net.backward(layers, 0).dup();
        INDArray second = net.backward(layers, 0);
        assertEquals(0, first.sub(second).amaxNumber().doubleValue(), 0);
    }

    @Test
    void forwardRunsOnlyTheVerticesTheTargetNeeds() {
        Network net = Dl4jReader.read(TestNets.graph(DataType.FLOAT, 1)).compile(DataType.FLOAT, 1, CHW);
        net.forward(Set.of("c3"));
        net.output("c3");
        net.output("bn");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.output("b2"));
        assertTrue(e.getMessage().contains("b2"), e.getMessage());
    }

    @Test
    void unsupportedVertexIsNamedInTheError() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .activation(org.nd4j.linalg.activations.Activation.IDENTITY).graphBuilder()
                .addInputs("in")
                .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(2).build(), "in")
                .addVertex("norm", new L2NormalizeVertex(), "c")
                .addLayer("out", new OutputLayer.Builder().nOut(2).build(), "norm")
                .setOutputs("out").setInputTypes(InputType.convolutional(6, 6, 1)).build());
        graph.init();
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                () -> Dl4jReader.read(graph).compile(DataType.FLOAT, 1, new long[] {1, 6, 6}));
        assertTrue(e.getMessage().contains("norm") && e.getMessage().contains("L2NormalizeVertex"), e.getMessage());
    }
}
