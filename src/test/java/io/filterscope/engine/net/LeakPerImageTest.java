package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images at different steps of their leaky starts share a batch ({@link Network#backward(java.util.Collection, double[])}):
 * each image's input gradient is, bit for bit, the one a batch of its own with its slope gets, on maps stored
 * channels last and on plain ones, whatever ReLU the layers are.
 */
class LeakPerImageTest {
    private static final List<String> TARGET = List.of("r2");
    /** Slopes of a batch: runs mid-start, past it (0), and rows of one slope next to each other. */
    private static final double[] SLOPES = {0.2, 0, 0, 0.1, 0.1};

    /** conv 3x3 same - activation - max pool 2x2 - conv 3x3 same - activation, on 3 x 12 x 12; {@code plain}: no map channels last. */
    private static Network chain(String activation, boolean plain, int batch) {
        Nd4j.getRandom().setSeed(5);
        INDArray w1 = Nd4j.randn(DataType.FLOAT, 6, 3, 3, 3);
        INDArray b1 = Nd4j.randn(DataType.FLOAT, 6).muli(0.1);
        INDArray w2 = Nd4j.randn(DataType.FLOAT, 5, 6, 3, 3);
        ModelGraph.Builder g = ModelGraph.builder();
        int[] one = {1, 1};
        int node = g.name("c1", g.add("c1", Ops.conv2d(w1, b1, one, Padding.same(), one, 1), ModelGraph.INPUT));
        node = g.name("r1", g.add("r1", act(activation), plain ? g.add(null, Ops.scale(1, 0), node) : node));
        node = g.name("p1", g.add("p1", Ops.pool(true, new int[] {2, 2}, new int[] {2, 2}, Padding.valid(), false, false), node));
        node = g.name("c2", g.add("c2", Ops.conv2d(w2, null, one, Padding.same(), one, 1), node));
        g.name("r2", g.add("r2", act(activation), plain ? g.add(null, Ops.scale(1, 0), node) : node));
        return g.build().compile(DataType.FLOAT, batch, new long[] {3, 12, 12});
    }

    private static Op act(String activation) {
        return switch (activation) {
            case "relu" -> Ops.relu();
            case "leaky" -> Ops.leakyRelu(0.15);
            case "relu6" -> Ops.relu(6, 0, 0);
            default -> throw new IllegalArgumentException(activation);
        };
    }

    /** The input gradient of {@code net} for images {@code x} and output gradient {@code gradOut}, with these slopes. */
    private static float[] gradient(Network net, INDArray x, INDArray gradOut, double[] slopes) {
        net.input().assign(x);
        net.forward(TARGET);
        net.clearGradients(TARGET);
        net.gradient("r2").assign(gradOut);
        return net.backward(TARGET, slopes).dup('c').data().asFloat();
    }

    @ParameterizedTest(name = "{0}, plain maps {1}")
    @CsvSource({"relu, false", "relu, true", "leaky, false", "relu6, false", "relu6, true"})
    void eachImageGetsTheGradientOfABatchOfItsOwn(String activation, boolean plain) {
        int n = SLOPES.length;
        Nd4j.getRandom().setSeed(6);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, 3, 12, 12).muli(3); // some above relu6's cap
        INDArray gradOut = Nd4j.randn(DataType.FLOAT, n, 5, 6, 6);
        float[] together = gradient(chain(activation, plain, n), x, gradOut, SLOPES);
        Network alone = chain(activation, plain, 1);
        int per = together.length / n;
        for (int i = 0; i < n; i++) {
            float[] own = gradient(alone, Network.rows(x, i, i + 1), Network.rows(gradOut, i, i + 1), new double[] {SLOPES[i]});
            float[] row = java.util.Arrays.copyOfRange(together, i * per, (i + 1) * per);
            assertArrayEquals(own, row, activation + ": image " + i + " with slope " + SLOPES[i]);
        }
        if (!activation.equals("leaky")) {
            // The slopes matter: the same images with no leak get another gradient.
            assertNotEquals(java.util.Arrays.toString(together),
                    java.util.Arrays.toString(gradient(chain(activation, plain, n), x, gradOut, new double[n])));
        }
    }
}
