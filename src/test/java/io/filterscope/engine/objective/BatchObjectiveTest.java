package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.Network;
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
}
