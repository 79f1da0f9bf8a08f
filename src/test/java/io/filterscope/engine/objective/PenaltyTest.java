package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.Network;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Penalties on the image are objectives like any other: checked by finite differences, and they add up. */
class PenaltyTest {
    private static final INDArray GREY = Nd4j.createFromArray(0.5, 0.25);

    /** The objective's value summed over a batch of images, with its gradient written to {@code gradient}. */
    private static double total(Objective o, INDArray image, INDArray gradient) {
        double sum = 0;
        for (double v : o.evaluateAll(new StepTensors(null, image, gradient, GREY), 1.0)) {
            sum += v;
        }
        return sum;
    }

    private static void assertGradientMatchesFiniteDifferences(Objective o) {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 6, 7);
        INDArray g = Nd4j.zeros(DataType.DOUBLE, 2, 2, 6, 7);
        total(o, x, g);
        Function<INDArray, Double> f = in -> total(o, in, Nd4j.zeros(DataType.DOUBLE, 2, 2, 6, 7));
        FiniteDifferences.assertDirectionalDerivatives(f, x, g, 4, 1e-6);
        assertTrue(f.apply(x.sub(g.mul(0.05))) < f.apply(x), o.label() + ": a step against the gradient lowers it");
    }

    @Test
    void totalVariationGradientMatchesFiniteDifferences() {
        assertGradientMatchesFiniteDifferences(new TotalVariation());
    }

    @Test
    void l1AndL2GradientsMatchFiniteDifferences() {
        assertGradientMatchesFiniteDifferences(ImageNorm.L2);
        // |x - grey| has a kink at grey, which random pixels never sit on.
        assertGradientMatchesFiniteDifferences(ImageNorm.L1);
    }

    @Test
    void normsMeasureTheDistanceFromEachChannelsGrey() {
        INDArray image = Nd4j.zeros(DataType.DOUBLE, 1, 2, 2, 2);
        image.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0)).assign(0.5);
        image.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(1)).assign(1.25);
        // Channel 0 sits at its grey, channel 1 one unit above its grey of 0.25.
        assertEquals(0.5, total(ImageNorm.L1, image, image.like()), 1e-12);
        assertEquals(0.5, total(ImageNorm.L2, image, image.like()), 1e-12);
    }

    @Test
    void evaluatingImageByImageEqualsTheWholeBatch() {
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 5);
        for (Objective o : List.of(new TotalVariation(), ImageNorm.L1, ImageNorm.L2)) {
            INDArray batched = x.like();
            double[] all = o.evaluateAll(new StepTensors(null, x, batched, GREY), -0.7);
            INDArray single = x.like();
            for (int i = 0; i < 3; i++) {
                assertEquals(all[i], o.evaluate(new StepTensors(null, x, single, GREY), i, -0.7), 1e-12, o.label());
            }
            assertEquals(0, batched.sub(single).amaxNumber().doubleValue(), 1e-12, o.label());
        }
    }

    @Test
    void objectivesAddAndScaleLikeNumbersAndPenaltiesAreTermsOfTheSum() {
        Network net = Dl4jReader.read(TestNets.small(DataType.DOUBLE, 6)).compile(DataType.DOUBLE, 1, new long[] {1, 12, 12});
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 1, 12, 12);
        net.input().assign(x);
        Objective a = new ChannelObjective("c1", 1);
        Objective b = new DeepDreamObjective("c2");
        Objective tv = new TotalVariation();
        Objective sum = a.times(0.2).plus(b.times(0.8)).minus(tv.times(1e-3));
        assertEquals(List.of(new WeightedSum.Term(0.2, a), new WeightedSum.Term(0.8, b), new WeightedSum.Term(-1e-3, tv)),
                ((WeightedSum) sum).terms(), "the sum is flat: one term per objective");
        assertTrue(sum.readsImage() && sum.layers().equals(java.util.Set.of("c1", "c2")));
        net.forward(sum.layers());
        net.clearGradients(sum.layers());
        StepTensors tensors = new StepTensors(net, x, x.like(), Nd4j.createFromArray(0.5));
        double expected = 0.2 * a.evaluate(net, 0, 0) + 0.8 * b.evaluate(net, 0, 0)
                - 1e-3 * tv.evaluate(new StepTensors(net, x, x.like(), Nd4j.createFromArray(0.5)), 0, 0);
        assertEquals(expected, sum.evaluate(tensors, 0, 1), 1e-12);
    }
}
