package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A ReLU done by the convolution before it (a oneDNN post-op; a stage of its own where libnd4j convolves) and its
 * gradient as one oneDNN primitive give the unfused stages' values bit for bit, in float; in double (libnd4j
 * throughout, no fusion) the input gradient matches finite differences.
 */
class ReluFusionTest {

    private static float[] values(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    private static INDArray channelsLast(long... shape) {
        return ChannelsLast.create(DataType.FLOAT, shape).assign(Nd4j.randn(DataType.FLOAT, shape));
    }

    @Test
    void rectifiedPrimitiveIsConvolutionThenRelu() {
        Nd4j.getRandom().setSeed(11);
        for (long[] s : new long[][] {{1, 64, 64, 15, 13}, {2, 32, 24, 9, 11}, {1, 512, 512, 8, 8}}) {
            INDArray src = channelsLast(s[0], s[1], s[3], s[4]);
            INDArray w = Nd4j.randn(DataType.FLOAT, s[2], s[1], 3, 3);
            INDArray b = Nd4j.randn(DataType.FLOAT, s[2]);
            INDArray fused = ChannelsLast.create(DataType.FLOAT, new long[] {s[0], s[2], s[3], s[4]});
            INDArray plain = ChannelsLast.like(fused);
            DirectConv rectified = DirectConv.of(src, w, b, fused, new int[] {1, 1}, new int[] {1, 1}, true);
            DirectConv unrectified = DirectConv.of(src, w, b, plain, new int[] {1, 1}, new int[] {1, 1}, false);
            assertNotNull(rectified, "the post-op keeps the maps' layout");
            assertTrue(rectified.run(src, fused) && unrectified.run(src, plain));
            INDArray storage = ChannelsLast.storage(plain);
            Stage.exec("relu", new INDArray[] {storage}, new INDArray[] {storage}, new int[0], 0.0);
            assertArrayEquals(values(plain), values(fused));
            assertTrue(fused.minNumber().doubleValue() == 0 && fused.maxNumber().doubleValue() > 0);
        }
    }

    @Test
    void gradientPrimitiveIsSignTimesGradient() {
        Nd4j.getRandom().setSeed(12);
        for (INDArray out : new INDArray[] {channelsLast(2, 24, 9, 11), Nd4j.randn(DataType.FLOAT, 3, 5, 7, 9)}) {
            Nd4j.exec(new org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear(out, 0));
            INDArray gradOut = ChannelsLast.like(out).assign(Nd4j.randn(DataType.FLOAT, out.shape()));
            INDArray gradIn = ChannelsLast.like(out);
            DirectRelu relu = DirectRelu.backward(out, gradIn);
            assertNotNull(relu);
            assertTrue(relu.run(out, gradOut, gradIn));
            INDArray expected = ChannelsLast.like(out);
            Nd4j.exec(new Sign(out, expected));
            Nd4j.exec(new ElementProduct(expected, gradOut, expected));
            // Bits, so that -0 (a negative gradient where the output is 0) must match too.
            assertArrayEquals(bits(expected), bits(gradIn));
            assertTrue(java.util.Arrays.stream(bits(gradIn)).anyMatch(b -> b == Integer.MIN_VALUE), "some -0");
            assertEquals(false, relu.run(out, Nd4j.randn(DataType.FLOAT, 2, 2), gradIn), "another layout is refused");
        }
    }

    private static int[] bits(INDArray a) {
        float[] v = values(a);
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    /**
     * conv -> relu -> conv -> relu -> maxpool, the ReLUs in the convolutions' layers (as Keras' activation="relu"),
     * and with {@code named} the convolutions named after layers of their own, which keeps their ReLUs apart.
     */
    private static ModelGraph graph(boolean named, int channels) {
        Nd4j.getRandom().setSeed(13);
        ModelGraph.Builder g = ModelGraph.builder();
        int node = ModelGraph.INPUT;
        long in = channels;
        for (int k = 0; k < 2; k++) {
            INDArray w = Nd4j.randn(DataType.DOUBLE, 6, in, 3, 3).muli(0.4);
            INDArray b = Nd4j.randn(DataType.DOUBLE, 6).muli(0.1);
            int conv = g.add("c" + k, Ops.conv2d(w, b, new int[] {1, 1}, Padding.symmetric(new int[] {1, 1}), new int[] {1, 1}, 1), node);
            if (named) {
                g.name("pre" + k, conv);
            }
            node = g.name("c" + k, g.add("c" + k, Ops.relu(), conv));
            in = 6;
        }
        g.name("pool", g.add("pool", Ops.pool(true, new int[] {2, 2}, new int[] {2, 2}, Padding.valid(), false, false), node));
        return g.build();
    }

    private static final List<String> TARGETS = List.of("pool", "c0");

    /** The input gradient of f = sum of weights * output over {@link #TARGETS}, after a forward pass at {@code x}. */
    private static INDArray gradient(Network net, INDArray x, Map<String, INDArray> weights, double leak) {
        net.input().assign(x);
        net.forward(TARGETS);
        net.clearGradients(TARGETS);
        weights.forEach((l, w) -> net.gradient(l).assign(w));
        return net.backward(TARGETS, leak).dup();
    }

    @Test
    void fusedNetworkGivesTheUnfusedValuesBitForBit() {
        for (int channels : new int[] {3, 5}) {
            Network fused = graph(false, channels).compile(DataType.FLOAT, 2, new long[] {channels, 13, 11});
            Network apart = graph(true, channels).compile(DataType.FLOAT, 2, new long[] {channels, 13, 11});
            assertTrue(fused.toString().contains("conv2d 3x3 + relu"), fused.toString());
            assertTrue(!apart.toString().contains("+ relu"), apart.toString());
            Nd4j.getRandom().setSeed(14);
            INDArray x = Nd4j.randn(DataType.FLOAT, 2, channels, 13, 11);
            Map<String, INDArray> weights = Map.of("pool", Nd4j.randn(DataType.FLOAT, 2, 6, 6, 5),
                    "c0", Nd4j.randn(DataType.FLOAT, 2, 6, 13, 11));
            for (double leak : new double[] {0, 0.3}) {
                INDArray g = gradient(fused, x, weights, leak);
                INDArray expected = gradient(apart, x, weights, leak);
                for (String layer : TARGETS) {
                    assertArrayEquals(values(apart.output(layer)), values(fused.output(layer)), layer);
                }
                assertArrayEquals(bits(expected), bits(g), "leak " + leak);
            }
        }
    }

    @Test
    void fusedReluOutputIsTheConvolutionsArray() {
        Network net = graph(false, 3).compile(DataType.FLOAT, 1, new long[] {3, 9, 9});
        Network apart = graph(true, 3).compile(DataType.FLOAT, 1, new long[] {3, 9, 9});
        net.input().assign(Nd4j.randn(DataType.FLOAT, 1, 3, 9, 9));
        net.forward(List.of("c1"));
        apart.forward(List.of("pre1", "c1"));
        assertSame(reluStage(net, 1).in, reluStage(net, 1).out, "no copy, no pass");
        assertSame(reluStage(net, 0).in, reluStage(net, 0).out, "the plain input is copied channels last: its ReLU is fused too");
        assertNotSame(reluStage(apart, 1).in, reluStage(apart, 1).out);
        assertTrue(apart.output("pre1").minNumber().doubleValue() < 0, "unfused, the convolution's own output stays");
    }

    /**
     * A convolution reading the network's plain input (VGG16's first layer: 3 channels, and 5; a 2x2 kernel padded on one
     * side, which convolves a padded copy) runs as a primitive on a channels-last copy, its ReLU fused, its input gradient
     * copied back to the plain layout: the values of libnd4j's conv2d on the plain maps (which reorders them into the same
     * layout for the same kernel) and relu, bit for bit, forward and back.
     */
    @Test
    void convolutionOfThePlainInputIsLibnd4jsBitForBit() {
        Nd4j.getRandom().setSeed(16);
        // batch, channels in, out, height, width, kernel, padding top, bottom, left, right
        for (int[] s : new int[][] {{2, 3, 64, 19, 17, 3, 1, 1, 1, 1}, {1, 3, 24, 13, 11, 3, 1, 1, 1, 1}, {2, 5, 16, 9, 7, 3, 1, 1, 1, 1},
            {1, 3, 8, 10, 9, 2, 0, 1, 0, 1}}) {
            INDArray w = Nd4j.randn(DataType.FLOAT, s[2], s[1], s[5], s[5]);
            INDArray b = Nd4j.randn(DataType.FLOAT, s[2]);
            ModelGraph.Builder g = ModelGraph.builder();
            int conv = g.add("c0", Ops.conv2d(w, b, new int[] {1, 1}, Padding.explicit(s[6], s[7], s[8], s[9]), new int[] {1, 1}, 1),
                    ModelGraph.INPUT);
            g.name("c0", g.add("c0", Ops.relu(), conv));
            Network net = g.build().compile(DataType.FLOAT, s[0], new long[] {s[1], s[3], s[4]});
            String kind = "conv2d " + s[5] + "x" + s[5] + " + relu (input copied channels last)";
            assertTrue(net.toString().contains(kind), net.toString());
            INDArray x = Nd4j.randn(DataType.FLOAT, s[0], s[1], s[3], s[4]);
            INDArray gradOut = Nd4j.randn(DataType.FLOAT, s[0], s[2], s[3], s[4]);
            net.input().assign(x);
            net.forward(List.of("c0"));
            net.clearGradients(List.of("c0"));
            net.gradient("c0").assign(gradOut);
            INDArray gradIn = net.backward(List.of("c0"), 0).dup();

            // As before: libnd4j's conv2d on the plain input (a zero-padded copy where the sides differ), then relu.
            boolean even = s[6] == s[7] && s[8] == s[9];
            INDArray source = even ? x : Nd4j.create(DataType.FLOAT, s[0], s[1], s[3] + s[6] + s[7], s[4] + s[8] + s[9]);
            INDArrayIndex[] inside = {NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(s[6], s[6] + s[3]), NDArrayIndex.interval(s[8], s[8] + s[4])};
            if (!even) {
                source.get(inside).assign(x);
            }
            int pad = even ? s[6] : 0;
            int full = s[5] - 1 - pad;
            INDArray y = ChannelsLast.create(DataType.FLOAT, new long[] {s[0], s[2], s[3], s[4]});
            Stage.exec("conv2d", new INDArray[] {source, w, b}, new INDArray[] {y}, new int[] {s[5], s[5], 1, 1, pad, pad, 1, 1, 0, 0, 1});
            INDArray storage = ChannelsLast.storage(y);
            Stage.exec("relu", new INDArray[] {storage}, new INDArray[] {storage}, new int[0], 0.0);
            assertArrayEquals(bits(y), bits(net.output("c0")), java.util.Arrays.toString(s));
            INDArray masked = ChannelsLast.like(y);
            Nd4j.exec(new Sign(y, masked));
            Nd4j.exec(new ElementProduct(masked, ChannelsLast.like(y).assign(gradOut), masked));
            INDArray sourceGrad = Nd4j.create(DataType.FLOAT, source.shape());
            INDArray flipped = ConvStage.flip(w.permute(1, 0, 2, 3).dup('c'));
            Stage.exec("conv2d", new INDArray[] {masked, flipped}, new INDArray[] {sourceGrad},
                    new int[] {s[5], s[5], 1, 1, full, full, 1, 1, 0, 0, 1});
            INDArray expected = even ? sourceGrad : sourceGrad.get(inside);
            assertArrayEquals(bits(expected), bits(gradIn), java.util.Arrays.toString(s));
            assertTrue(!ChannelsLast.is(gradIn) && gradIn.amaxNumber().doubleValue() > 0, "plain, written");
        }
    }

    private static Stage reluStage(Network net, int k) {
        try {
            java.lang.reflect.Field f = Network.class.getDeclaredField("stages");
            f.setAccessible(true);
            Stage[] stages = (Stage[]) f.get(net);
            return java.util.Arrays.stream(stages).filter(s -> s instanceof ActivationStage && ("c" + k).equals(s.layer))
                    .findFirst().orElseThrow();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void doublesKeepTheirReluStagesAndTheirGradient() {
        Network net = graph(false, 3).compile(DataType.DOUBLE, 1, new long[] {3, 9, 7});
        assertTrue(!net.toString().contains("+ relu"), net.toString());
        Nd4j.getRandom().setSeed(15);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 1, 3, 9, 7);
        Map<String, INDArray> weights = Map.of("pool", Nd4j.randn(DataType.DOUBLE, 1, 6, 4, 3));
        FiniteDifferences.assertInputGradient(net, x, weights, 4, 1e-5);
    }
}
