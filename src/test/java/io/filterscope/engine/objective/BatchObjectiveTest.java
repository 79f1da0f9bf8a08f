package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BatchObjectiveTest {

    @Test
    void galleryShortcutGivesTheSameValuesAndGradientsAsEachImageAlone() {
        List<Objective> gallery = List.of(new ChannelObjective("c3", 0), new ChannelObjective("c3", 5), new ChannelObjective("c3", 5));
        Network net = Dl4jReader.read(TestNets.small(DataType.DOUBLE, 8)).compile(DataType.DOUBLE, 3, new long[] {1, 12, 12});
        net.input().assign(Nd4j.rand(DataType.DOUBLE, 3, 1, 12, 12));
        net.forward(List.of("c3"));

        double[] batched = new BatchObjective(gallery, null).evaluate(StepTensors.of(net));
        INDArray batchedGradient = net.gradient("c3").dup();

        net.clearGradients(List.of("c3"));
        double[] alone = new double[3];
        for (int i = 0; i < 3; i++) {
            alone[i] = gallery.get(i).evaluate(net, i, 1.0);
        }
        assertArrayEquals(alone, batched, 1e-12);
        assertEquals(0, net.gradient("c3").sub(batchedGradient).amaxNumber().doubleValue(), 1e-15);
    }

    @Test
    void mixedObjectivesAreEvaluatedImageByImage() {
        List<Objective> mixed = List.of(new ChannelObjective("c3", 1), new DeepDreamObjective("c1"));
        Network net = Dl4jReader.read(TestNets.small(DataType.DOUBLE, 9)).compile(DataType.DOUBLE, 2, new long[] {1, 12, 12});
        net.input().assign(Nd4j.rand(DataType.DOUBLE, 2, 1, 12, 12));
        BatchObjective batch = new BatchObjective(mixed, null);
        net.forward(batch.layers());
        double[] values = batch.evaluate(StepTensors.of(net));
        net.clearGradients(batch.layers());
        assertEquals(mixed.get(1).evaluate(net, 1, 1.0), values[1], 1e-12);
    }

    @Test
    void runsEvaluatedTogetherGetTheirOwnValuesAndNoOtherRowsGetAGradient() {
        // Two runs in rows 0-1 and 3 of a batch of 5: rows 2 and 4 belong to no run.
        BatchObjective first = new BatchObjective(List.of(new ChannelObjective("c3", 0), new ChannelObjective("c3", 5)), null);
        BatchObjective second = new BatchObjective(List.of(new ChannelObjective("c3", 2)), null);
        Network net = Dl4jReader.read(TestNets.small(DataType.FLOAT, 8)).compile(DataType.FLOAT, 5, new long[] {1, 12, 12});
        net.input().assign(Nd4j.rand(DataType.FLOAT, 5, 1, 12, 12));
        net.forward(List.of("c3"));
        net.clearGradients(List.of("c3"));
        assertEquals("c3", first.maskedLayer(net));
        double[][] values = BatchObjective.evaluateTogether(net, List.of(first, second), new int[] {0, 3});

        INDArray c3 = net.output("c3");
        assertArrayEquals(new double[] {c3.slice(0).slice(0).meanNumber().doubleValue(), c3.slice(1).slice(5).meanNumber().doubleValue()},
                values[0], 1e-6);
        assertArrayEquals(new double[] {c3.slice(3).slice(2).meanNumber().doubleValue()}, values[1], 1e-6);
        INDArray gradient = net.gradient("c3");
        assertEquals(1.0, gradient.slice(3).slice(2).sumNumber().doubleValue(), 1e-6, "a channel mean's gradient sums to 1");
        assertEquals(0, gradient.slice(2).amaxNumber().doubleValue(), "a row of no run");
        assertEquals(0, gradient.slice(4).amaxNumber().doubleValue(), "a row of no run");
        // A shared penalty makes each run evaluate its own.
        assertEquals(null, new BatchObjective(List.of(new ChannelObjective("c3", 0)), new TotalVariation().times(-0.1)).maskedLayer(net));
    }

    /**
     * The mask kept by the network gives, bit for bit, the gradient of a mask built in full for the step, and its values
     * to float rounding (a layer stored channels last is multiplied and summed in its own order): on a layer stored
     * channels last and on one stored plainly, again after the runs' rows change, and the mask is made only when they do.
     */
    @Test
    void runsEvaluatedTogetherGetWhatAFullMaskGives() {
        // "a" is read by a convolution of stride 1 and so stored channels last; "b", read by a scale, is stored plainly.
        Nd4j.getRandom().setSeed(12);
        int[] one = {1, 1};
        ModelGraph.Builder g = ModelGraph.builder();
        int a = g.name("a", g.add("a", Ops.conv2d(Nd4j.randn(DataType.FLOAT, 4, 1, 3, 3), null, one, Padding.valid(), one, 1),
                ModelGraph.INPUT));
        int b = g.name("b", g.add("b", Ops.conv2d(Nd4j.randn(DataType.FLOAT, 4, 4, 3, 3), null, one, Padding.valid(), one, 1), a));
        g.add(null, Ops.scale(1, 0), b);
        Network net = g.build().compile(DataType.FLOAT, 5, new long[] {1, 12, 12});
        net.input().assign(Nd4j.rand(DataType.FLOAT, 5, 1, 12, 12));
        net.forward(List.of("a", "b"));
        assertEquals(1, net.output("a").stride(1), "a is stored channels last");
        assertEquals(8 * 8, net.output("b").stride(1), "b is stored plainly");
        for (String layer : List.of("a", "b")) {
            BatchObjective first = new BatchObjective(List.of(new ChannelObjective(layer, 0), new ChannelObjective(layer, 3)), null);
            BatchObjective second = new BatchObjective(List.of(new ChannelObjective(layer, 2)), null);
            BatchObjective third = new BatchObjective(List.of(new ChannelObjective(layer, 1)), null);
            assertAsFullMask(net, layer, List.of(first, second), new int[] {0, 3}, new int[] {0, 3, -1, 2, -1});
            INDArray kept = net.channelMask(layer, new int[] {0, 3, -1, 2, -1});
            assertAsFullMask(net, layer, List.of(first, second), new int[] {0, 3}, new int[] {0, 3, -1, 2, -1});
            assertTrue(kept == net.channelMask(layer, new int[] {0, 3, -1, 2, -1}), "the same runs in the same rows: the same mask");
            assertAsFullMask(net, layer, List.of(second, third, first), new int[] {0, 1, 3}, new int[] {2, 1, -1, 0, 3});
        }
    }

    /** Evaluates the runs together and compares with the product and gradient of a full mask of {@code channels}. */
    private static void assertAsFullMask(Network net, String layer, List<BatchObjective> runs, int[] firsts, int[] channels) {
        net.clearGradients(List.of(layer));
        double[][] values = BatchObjective.evaluateTogether(net, runs, firsts);
        INDArray out = net.output(layer);
        INDArray full = Nd4j.create(DataType.FLOAT, out.shape());
        for (int i = 0; i < channels.length; i++) {
            if (channels[i] >= 0) {
                full.slice(i).slice(channels[i]).assign(1.0 / (out.size(2) * out.size(3)));
            }
        }
        double[] expected = out.mul(full).sum(1, 2, 3).toDoubleVector();
        for (int r = 0; r < runs.size(); r++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, firsts[r], firsts[r] + values[r].length), values[r], 1e-5);
        }
        assertArrayEquals(full.dup('c').data().asFloat(), net.gradient(layer).dup('c').data().asFloat(), 0f);
    }
}
