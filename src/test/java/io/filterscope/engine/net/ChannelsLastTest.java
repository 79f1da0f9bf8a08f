package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Maps between stride-1 convolutions, ReLUs and pools are stored channels last, and a step on them computes exactly
 * what it computes on plain NCHW maps: the same network with an exact identity (a scale by 1) after every stage, which
 * takes no channels-last input and so keeps every map plain, is the reference.
 */
class ChannelsLastTest {
    private static final List<String> TARGET = List.of("r2");

    /** conv 3x3 same - activation - pool 2x2 - conv 3x3 same - activation, on 2 images of 3 x size x size. */
    private static Network chain(String activation, boolean max, boolean plain, DataType type, int size) {
        Nd4j.getRandom().setSeed(7);
        INDArray w1 = Nd4j.randn(type, 6, 3, 3, 3);
        INDArray b1 = Nd4j.randn(type, 6).muli(0.1);
        INDArray w2 = Nd4j.randn(type, 5, 6, 3, 3);
        ModelGraph.Builder g = ModelGraph.builder();
        int[] one = {1, 1};
        int node = g.name("c1", g.add("c1", Ops.conv2d(w1, b1, one, Padding.same(), one, 1), ModelGraph.INPUT));
        node = g.name("r1", g.add("r1", act(activation), identity(g, plain, node)));
        node = g.name("p1", g.add("p1", Ops.pool(max, new int[] {2, 2}, new int[] {2, 2}, Padding.valid(), false, false),
                identity(g, plain, node)));
        node = g.name("c2", g.add("c2", Ops.conv2d(w2, null, one, Padding.same(), one, 1), identity(g, plain, node)));
        g.name("r2", g.add("r2", act(activation), identity(g, plain, node)));
        return g.build().compile(type, 2, new long[] {3, size, size});
    }

    private static int identity(ModelGraph.Builder g, boolean plain, int node) {
        return plain ? g.add(null, Ops.scale(1, 0), node) : node;
    }

    private static Op act(String activation) {
        return switch (activation) {
            case "relu" -> Ops.relu();
            case "leaky" -> Ops.leakyRelu(0.3);
            case "relu6" -> Ops.relu(6, 0, 0);
            default -> throw new IllegalArgumentException(activation);
        };
    }

    @ParameterizedTest(name = "{0}, max pool {1}, {2}, {3} px, leak {4}")
    @CsvSource({
        "relu, true, FLOAT, 16, 0",
        "relu, true, FLOAT, 13, 0", // odd: the pool's last row and column are read by no window
        "relu, false, FLOAT, 16, 0",
        "relu, true, FLOAT, 16, 0.1", // a leaky start
        "leaky, true, FLOAT, 16, 0",
        "relu6, true, FLOAT, 16, 0",
        "relu, true, DOUBLE, 16, 0",
    })
    void aStepComputesExactlyWhatItDoesOnPlainMaps(String activation, boolean max, DataType type, int size, double leak) {
        Network last = chain(activation, max, false, type, size);
        Network plain = chain(activation, max, true, type, size);
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.randn(type, 2, 3, size, size);
        INDArray gradOut = null;
        INDArray[] gradIn = new INDArray[2];
        INDArray[] out = new INDArray[2];
        Network[] nets = {last, plain};
        for (int k = 0; k < 2; k++) {
            Network net = nets[k];
            net.input().assign(x);
            net.forward(TARGET);
            out[k] = net.output("r2").dup();
            gradOut = gradOut == null ? Nd4j.randn(type, out[k].shape()) : gradOut;
            net.clearGradients(TARGET);
            net.gradient("r2").assign(gradOut);
            gradIn[k] = net.backward(TARGET, leak).dup();
        }
        for (String layer : List.of("c1", "r1", "p1", "c2", "r2")) {
            assertTrue(ChannelsLast.is(last.output(layer)), layer + " is stored channels last");
            assertFalse(ChannelsLast.is(plain.output(layer)), layer + " of the reference is plain: a scale stage reads it");
        }
        assertEquals(0, out[0].sub(out[1]).amaxNumber().doubleValue(), "forward");
        assertEquals(0, gradIn[0].sub(gradIn[1]).amaxNumber().doubleValue(), "input gradient");
        assertTrue(gradIn[1].amaxNumber().doubleValue() > 0, "a gradient reaches the input");
    }

    /**
     * MobileNetV2's pattern: conv 1x1 - ReLU6 - depthwise 3x3 same - ReLU6 - zero pad 0,1,0,1 - depthwise 3x3 stride 2
     * valid - ReLU6 - conv 1x1 "out", on 2 images of 3 x 14 x 14.
     */
    private static Network depthwiseChain(boolean plain, DataType type) {
        Nd4j.getRandom().setSeed(10);
        int[] one = {1, 1};
        ModelGraph.Builder g = ModelGraph.builder();
        int node = g.name("expand", g.add("expand", Ops.conv2d(Nd4j.randn(type, 8, 3, 1, 1), null, one, Padding.valid(), one, 1),
                ModelGraph.INPUT));
        node = g.name("r1", g.add("r1", Ops.relu(6, 0, 0), identity(g, plain, node)));
        node = g.name("dw1", g.add("dw1", Ops.conv2d(Nd4j.randn(type, 8, 1, 3, 3), Nd4j.randn(type, 8), one, Padding.same(), one, 8),
                identity(g, plain, node)));
        node = g.name("r2", g.add("r2", Ops.relu(6, 0, 0), identity(g, plain, node)));
        node = g.name("pad", g.add("pad", Ops.zeroPad(new int[] {0, 1, 0, 1}), identity(g, plain, node)));
        node = g.name("dw2", g.add("dw2", Ops.conv2d(Nd4j.randn(type, 8, 1, 3, 3), null, new int[] {2, 2}, Padding.valid(), one, 8),
                identity(g, plain, node)));
        node = g.name("r3", g.add("r3", Ops.relu(6, 0, 0), identity(g, plain, node)));
        g.name("out", g.add("out", Ops.conv2d(Nd4j.randn(type, 4, 8, 1, 1), null, one, Padding.valid(), one, 1),
                identity(g, plain, node)));
        return g.build().compile(type, 2, new long[] {3, 14, 14});
    }

    @ParameterizedTest
    @CsvSource({"FLOAT", "DOUBLE"})
    void depthwiseConvolutionsAndZeroPaddingOnChannelsLastMapsComputeWhatTheyDoOnPlainOnes(DataType type) {
        Network[] nets = {depthwiseChain(false, type), depthwiseChain(true, type)};
        List<String> target = List.of("out");
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(type, 2, 3, 14, 14);
        INDArray gradOut = Nd4j.randn(type, 2, 4, 7, 7);
        INDArray[] gradIn = new INDArray[2];
        for (int k = 0; k < 2; k++) {
            nets[k].input().assign(x);
            nets[k].forward(target);
            nets[k].clearGradients(target);
            nets[k].gradient("out").assign(gradOut);
            gradIn[k] = nets[k].backward(target, 0).dup();
        }
        for (String layer : List.of("r1", "dw1", "r2", "pad", "dw2", "r3")) {
            assertTrue(ChannelsLast.is(nets[0].output(layer)), layer + " is stored channels last");
        }
        // oneDNN's depthwise kernel for channels-last maps may sum a window's nine products in another order.
        double tolerance = type == DataType.DOUBLE ? 1e-12 : 1e-5;
        for (String layer : List.of("dw1", "pad", "dw2", "out")) {
            INDArray expected = nets[1].output(layer);
            assertEquals(0, nets[0].output(layer).sub(expected).amaxNumber().doubleValue(),
                    tolerance * expected.amaxNumber().doubleValue(), layer);
        }
        assertEquals(0, gradIn[0].sub(gradIn[1]).amaxNumber().doubleValue(), tolerance * gradIn[1].amaxNumber().doubleValue());
        assertTrue(gradIn[1].amaxNumber().doubleValue() > 0, "a gradient reaches the input");
    }

    @Test
    void imagesAtDifferentStepsOfTheirLeakyStartGetTheGradientsOfPlainMaps() {
        Network last = chain("relu", true, false, DataType.FLOAT, 16);
        Network plain = chain("relu", true, true, DataType.FLOAT, 16);
        Nd4j.getRandom().setSeed(9);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 16, 16);
        INDArray gradOut = Nd4j.randn(DataType.FLOAT, 2, 5, 8, 8);
        INDArray[] gradIn = new INDArray[2];
        Network[] nets = {last, plain};
        for (int k = 0; k < 2; k++) {
            nets[k].input().assign(x);
            nets[k].forward(TARGET);
            nets[k].clearGradients(TARGET);
            nets[k].gradient("r2").assign(gradOut);
            gradIn[k] = nets[k].backward(TARGET, new double[] {0.2, 0}).dup();
        }
        assertEquals(0, gradIn[0].sub(gradIn[1]).amaxNumber().doubleValue());
    }

    @Test
    void storageIsTheDenseNhwcArrayAndRefusesOthers() {
        INDArray a = ChannelsLast.create(DataType.FLOAT, new long[] {2, 3, 4, 5});
        assertTrue(ChannelsLast.is(a));
        a.putScalar(new long[] {1, 2, 3, 4}, 7);
        INDArray nhwc = ChannelsLast.storage(a);
        assertEquals(1, nhwc.elementWiseStride());
        assertEquals(7, nhwc.getDouble(1, 3, 4, 2));
        assertTrue(ChannelsLast.is(ChannelsLast.like(a)));
        INDArray nchw = Nd4j.create(DataType.FLOAT, 2, 3, 4, 5);
        assertFalse(ChannelsLast.is(nchw));
        assertFalse(ChannelsLast.is(ChannelsLast.like(nchw)));
        assertThrows(IllegalArgumentException.class, () -> ChannelsLast.storage(nchw));
        assertEquals(2, ChannelsLast.elementwise(a, nchw).length);
        assertTrue(ChannelsLast.elementwise(a, nchw)[0] == a, "mixed layouts stay as they are");
    }
}
