package io.filterscope.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * torchvision architectures exported by PyTorch (random weights, non-trivial batch-norm statistics) load into
 * the engine's graph and compute what PyTorch computes: at every probed layer and the output, in float32, to
 * 1e-4 of the layer's largest value; and their input gradients agree with finite differences in double
 * precision.
 */
class TorchvisionModelsTest {
    static final List<String> MODELS = List.of("resnet18", "densenet121");
    private static final Map<String, TorchFixtures.Fixture> FIXTURES = new HashMap<>();

    @BeforeAll
    static void export() throws Exception {
        for (TorchFixtures.Fixture f : TorchFixtures.load("torchvision", MODELS)) {
            FIXTURES.put(f.name(), f);
        }
    }

    static List<String> models() {
        return MODELS;
    }

    @ParameterizedTest
    @MethodSource("models")
    void activationsMatchPyTorch(String name) throws Exception {
        TorchFixtures.Fixture f = FIXTURES.get(name);
        long started = System.nanoTime();
        ModelGraph graph = OnnxReader.read(f.model());
        long readMs = (System.nanoTime() - started) / 1_000_000;
        Network net = graph.compile(DataType.FLOAT, 1, new long[] {3, f.size(), f.size()});
        net.input().assign(f.input());
        net.forward(f.expected().keySet());
        double worst = 0;
        for (Map.Entry<String, INDArray> e : f.expected().entrySet()) {
            INDArray ours = net.output(e.getKey()).castTo(DataType.DOUBLE);
            INDArray theirs = e.getValue();
            assertArrayEquals(flat(theirs.shape()), ours.shape(), name + " " + e.getKey());
            double err = relativeError(ours, theirs.reshape(ours.shape()));
            worst = Math.max(worst, err);
            assertTrue(err <= 1e-4, name + " layer " + e.getKey() + ": max error " + err + " of its largest value");
        }
        System.out.printf("%s: read in %d ms, %d layers, max relative error %.2e%n", name, readMs, net.layers().size(), worst);
    }

    @ParameterizedTest
    @MethodSource("models")
    void inputGradientsMatchFiniteDifferences(String name) throws Exception {
        TorchFixtures.Fixture f = FIXTURES.get(name);
        Network net = OnnxReader.read(f.model()).compile(DataType.DOUBLE, 1, new long[] {3, f.size(), f.size()});
        List<String> probes = new ArrayList<>(f.expected().keySet());
        // A mid-network probe and the output: the gradient flows back through every kind of node.
        Map<String, INDArray> weights = new LinkedHashMap<>();
        for (String layer : List.of(probes.get(probes.size() / 2), "output")) {
            weights.put(layer, Nd4j.rand(DataType.DOUBLE, net.layer(layer) == null ? shapeOf(f, layer) : shapeOf(f, layer)).subi(0.5));
        }
        FiniteDifferences.assertInputGradient(net, f.input().castTo(DataType.DOUBLE), weights, 2, 1e-5);
    }

    private static long[] shapeOf(TorchFixtures.Fixture f, String layer) {
        return f.expected().get(layer).shape();
    }

    static double relativeError(INDArray ours, INDArray theirs) {
        double scale = Math.max(1e-12, Transforms.abs(theirs, true).maxNumber().doubleValue());
        return Transforms.abs(ours.sub(theirs), false).maxNumber().doubleValue() / scale;
    }

    private static long[] flat(long[] s) {
        return s;
    }
}
