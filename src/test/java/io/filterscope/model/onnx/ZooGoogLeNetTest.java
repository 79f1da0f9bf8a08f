package io.filterscope.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ONNX model zoo's GoogLeNet layout (googlenet-12.onnx's graph with random weights, written by
 * onnx_fixtures.py with onnx.helper): Caffe2's names, unnamed nodes, LRN, Caffe's ceil-mode pools as end pads,
 * Dropout, a Reshape to [1, 1024], Gemm and a final Softmax. Its activations match PyTorch's functional ops.
 */
class ZooGoogLeNetTest {
    private static TorchFixtures.Fixture zoo;

    @BeforeAll
    static void export() throws Exception {
        zoo = TorchFixtures.load("zoo-googlenet", List.of("zoo_googlenet")).get(0);
    }

    @Test
    void loadsWithCaffe2NamesAndLogitsLast() throws Exception {
        ModelGraph graph = OnnxReader.read(zoo.model());
        Network net = graph.compile(DataType.FLOAT, 1, new long[] {3, 224, 224});
        List<String> names = net.layers().stream().map(LayerInfo::name).toList();
        for (String inception : List.of("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")) {
            assertTrue(names.contains("inception_" + inception + "/output_1"), names.toString());
        }
        assertEquals(List.of(832L, 14L, 14L), net.layer("inception_4e/output_1").outputShape());
        assertEquals("lrn 5", net.layer("pool1/norm1_1").kind());
        LayerInfo last = net.layers().get(net.layers().size() - 1);
        assertEquals("loss3/classifier_1", last.name(), "the softmax is left out: the logits end the list");
        assertEquals(1000, last.channels());
        assertNull(last.alias(), "the zoo's nodes have no names of their own");
        assertTrue(!names.contains("prob_1") && !names.contains("pool5/7x7_s1_2"), "dropout and softmax vanish");

        OnnxReader.Description d = OnnxReader.describe(zoo.model());
        assertEquals(3, d.channels());
        assertEquals(224, d.height());
        assertEquals(12, d.opset());
    }

    @Test
    void computesWhatPyTorchComputesAndItsGradient() throws Exception {
        ModelGraph graph = OnnxReader.read(zoo.model());
        Network net = graph.compile(DataType.FLOAT, 1, new long[] {3, 224, 224});
        net.input().assign(zoo.input());
        net.forward(zoo.expected().keySet());
        for (Map.Entry<String, INDArray> e : zoo.expected().entrySet()) {
            INDArray ours = net.output(e.getKey()).castTo(DataType.DOUBLE);
            double err = TorchvisionModelsTest.relativeError(ours, e.getValue().reshape(ours.shape()));
            assertTrue(err <= 1e-4, e.getKey() + ": max error " + err + " of its largest value");
        }
        // Gradients through the LRNs and the padded pools, at a smaller size to keep the double-precision run short.
        Network exact = graph.compile(DataType.DOUBLE, 1, new long[] {3, 64, 64});
        // Seeded: a random direction may now and then cross a max pool's tie or a ReLU's kink within a step of eps, where
        // finite differences are not the derivative (one unseeded run in many missed by a relative 7.5e-5).
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 3, 64, 64).muli(255).subi(120);
        Map<String, INDArray> weights = new java.util.LinkedHashMap<>();
        for (String layer : List.of("conv2/norm2_1", "inception_3b/output_1")) {
            exact.input().assign(x);
            exact.forward(List.of(layer));
            weights.put(layer, Nd4j.rand(DataType.DOUBLE, exact.output(layer).shape()).subi(0.5));
        }
        FiniteDifferences.assertInputGradient(exact, x, weights, 2, 1e-5);
    }
}
