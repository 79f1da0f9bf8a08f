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
}
