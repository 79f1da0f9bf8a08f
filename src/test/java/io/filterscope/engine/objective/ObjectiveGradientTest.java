package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.Network;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.model.VGG16;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Every objective's input gradient, through the whole network, against finite differences in double precision. */
class ObjectiveGradientTest {

    private static final long[] SMALL = {1, 12, 12};

    @Test
    void channelObjectiveGradientIsCorrect() {
        check(TestNets.small(DataType.DOUBLE, 1), SMALL, List.of(new ChannelObjective("c3", 2), new ChannelObjective("c1", 0)));
    }

    @Test
    void neuronObjectiveGradientIsCorrect() {
        check(TestNets.small(DataType.DOUBLE, 2), SMALL, List.of(new NeuronObjective("c2", 1, 2, 2), new NeuronObjective("c3", 4, 1, 3)));
    }

    @Test
    void classObjectiveGradientIsCorrect() {
        check(TestNets.small(DataType.DOUBLE, 3), SMALL, List.of(new ClassObjective("out", 0, null), new ClassObjective("out", 2, null)));
    }

    @Test
    void deepDreamObjectiveGradientIsCorrect() {
        check(TestNets.small(DataType.DOUBLE, 4), SMALL, List.of(new DeepDreamObjective("c2"), new DeepDreamObjective("p1")));
    }

    @Test
    void weightedSumAcrossLayersGradientIsCorrect() {
        Objective sum = new WeightedSum(List.of(new WeightedSum.Term(0.2, new ChannelObjective("c1", 1)),
                new WeightedSum.Term(0.8, new ChannelObjective("d1", 3)),
                new WeightedSum.Term(-0.5, new DeepDreamObjective("c3"))));
        check(TestNets.small(DataType.DOUBLE, 5), SMALL, List.of(sum, new ClassObjective("out", 1, null)));
    }

    @Test
    void vgg16ObjectivesGradientsAreCorrect() {
        ComputationGraph vgg = (ComputationGraph) VGG16.builder().numClasses(10).inputShape(new int[] {3, 32, 32})
                .build().init();
        vgg = vgg.convertDataType(DataType.DOUBLE);
        String deep = vgg.getConfiguration().getTopologicalOrderStr().stream()
                .filter(n -> n.contains("conv") || n.matches("\\d+")).skip(9).findFirst().orElseThrow();
        check(vgg, new long[] {3, 32, 32}, List.of(new ChannelObjective(deep, 5), new NeuronObjective(deep, 7, 1, 1)));
    }

    @Test
    void sumOfWeightedTermsIsTheWeightedSumOfValues() {
        Network net = Dl4jReader.read(TestNets.small(DataType.DOUBLE, 6)).compile(DataType.DOUBLE, 1, SMALL);
        net.input().assign(Nd4j.rand(DataType.DOUBLE, 1, 1, 12, 12));
        Objective a = new ChannelObjective("c1", 1);
        Objective b = new DeepDreamObjective("c2");
        WeightedSum sum = new WeightedSum(List.of(new WeightedSum.Term(0.25, a), new WeightedSum.Term(2, b)));
        net.forward(sum.layers());
        net.clearGradients(sum.layers());
        assertEquals(0.25 * a.evaluate(net, 0, 0) + 2 * b.evaluate(net, 0, 0), sum.evaluate(net, 0, 1), 1e-12);
    }

    /** Image i of a batch maximizes objective i; the summed value's input gradient must match finite differences. */
    private static void check(Model model, long[] chw, List<Objective> objectives) {
        Network net = Dl4jReader.read(model).compile(DataType.DOUBLE, objectives.size(), chw);
        Set<String> layers = new LinkedHashSet<>();
        objectives.forEach(o -> layers.addAll(o.layers()));
        java.util.function.Function<INDArray, Double> total = x -> {
            net.input().assign(x);
            net.forward(layers);
            net.clearGradients(layers);
            double sum = 0;
            for (int i = 0; i < objectives.size(); i++) {
                sum += objectives.get(i).evaluate(net, i, 1.0);
            }
            return sum;
        };
        Nd4j.getRandom().setSeed(42);
        INDArray x = Nd4j.rand(DataType.DOUBLE, net.input().shape()).subi(0.2);
        total.apply(x);
        INDArray gradient = net.backward(layers, 0).dup();
        assertEquals(true, gradient.amaxNumber().doubleValue() > 0, "gradient is all zero");
        FiniteDifferences.assertDirectionalDerivatives(total, x, gradient, 4, 1e-5);
    }
}
