package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
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

/** Lucid's diversity term: its value against the definition, its gradient against finite differences. */
class DiversityTest {
    private static final int BATCH = 3;

    private static Network net(long seed) {
        return Dl4jReader.read(TestNets.small(DataType.DOUBLE, seed)).compile(DataType.DOUBLE, BATCH, new long[] {1, 12, 12});
    }

    /** The batch's diversity (the sum of the images' values), its gradient left in the network's layer gradient. */
    private static double batchValue(Network net, Diversity d, INDArray x) {
        net.input().assign(x);
        net.forward(d.layers());
        net.clearGradients(d.layers());
        double sum = 0;
        for (double v : d.evaluateAll(StepTensors.of(net), 1.0)) {
            sum += v;
        }
        return sum;
    }

    @Test
    void inputGradientOfTheBatchsDiversityMatchesFiniteDifferences() {
        for (String layer : List.of("c1", "c2")) {
            Network net = net(31);
            Diversity d = new Diversity(layer);
            Function<INDArray, Double> f = x -> batchValue(net, d, x);
            Nd4j.getRandom().setSeed(7);
            INDArray x = Nd4j.rand(DataType.DOUBLE, BATCH, 1, 12, 12);
            f.apply(x);
            INDArray gradient = net.backward(d.layers(), 0).dup();
            assertTrue(gradient.amaxNumber().doubleValue() > 1e-6, "gradient is all zero at " + layer);
            FiniteDifferences.assertDirectionalDerivatives(f, x, gradient, 4, 1e-5);
        }
    }

    @Test
    void imageByImageEvaluationGivesTheBatchsValuesAndGradient() {
        Network net = net(32);
        Diversity d = new Diversity("c2");
        INDArray x = Nd4j.rand(DataType.DOUBLE, BATCH, 1, 12, 12);
        batchValue(net, d, x);
        net.clearGradients(d.layers());
        double[] together = d.evaluateAll(StepTensors.of(net), 0.5);
        INDArray togetherGradient = net.gradient("c2").dup();
        net.clearGradients(d.layers());
        double[] alone = new double[BATCH];
        for (int i = 0; i < BATCH; i++) {
            alone[i] = d.evaluate(StepTensors.of(net), i, 0.5);
        }
        assertArrayEquals(together, alone, 1e-12);
        assertEquals(0, net.gradient("c2").sub(togetherGradient).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void valuesAddUpToLucidsDiversityOfTheLayer() {
        Network net = net(33);
        Diversity d = new Diversity("c2");
        double ours = batchValue(net, d, Nd4j.rand(DataType.DOUBLE, BATCH, 1, 12, 12));
        // Lucid: grams = l2_normalize(A^T A) per image; sum over i, j != i of <G_i, G_j>, over batch_n.
        INDArray out = net.output("c2");
        int c = (int) out.size(1);
        int positions = (int) (out.size(2) * out.size(3));
        double[][] grams = new double[BATCH][c * c];
        for (int i = 0; i < BATCH; i++) {
            double norm = 0;
            for (int a = 0; a < c; a++) {
                for (int b = 0; b < c; b++) {
                    double g = 0;
                    for (int p = 0; p < positions; p++) {
                        g += out.getDouble(i, a, p / out.size(3), p % out.size(3)) * out.getDouble(i, b, p / out.size(3), p % out.size(3));
                    }
                    grams[i][a * c + b] = g;
                    norm += g * g;
                }
            }
            for (int k = 0; k < c * c; k++) {
                grams[i][k] /= Math.sqrt(norm);
            }
        }
        double lucid = 0;
        for (int i = 0; i < BATCH; i++) {
            for (int j = 0; j < BATCH; j++) {
                for (int k = 0; j != i && k < c * c; k++) {
                    lucid += grams[i][k] * grams[j][k];
                }
            }
        }
        assertEquals(lucid / BATCH, ours, 1e-12);
    }

    @Test
    void identicalImagesAreAsAlikeAsCanBeAndDifferentOnesLess() {
        Network net = net(34);
        Diversity d = new Diversity("c2");
        INDArray one = Nd4j.rand(DataType.DOUBLE, 1, 1, 12, 12);
        INDArray same = Nd4j.concat(0, one, one, one);
        // Every normalized Gram matrix equal: each image's value is (n - 1) / n, the most it can be.
        double identical = batchValue(net, d, same);
        assertEquals(BATCH - 1, identical, 1e-9);
        assertEquals(0, net.backward(d.layers(), 0).amaxNumber().doubleValue(), 1e-9,
                "identical images are the most alike, so the similarity is at a maximum and flat");

        INDArray stripes = Nd4j.zeros(DataType.DOUBLE, 1, 1, 12, 12);
        for (int y = 0; y < 12; y += 3) {
            stripes.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(y)).assign(1);
        }
        INDArray different = Nd4j.concat(0, one, stripes, Nd4j.rand(DataType.DOUBLE, 1, 1, 12, 12).muli(-1));
        double differentValue = batchValue(net, d, different);
        assertTrue(differentValue < identical - 1e-3, "different images " + differentValue + " vs identical " + identical);
    }

    @Test
    void followingMinusDiversityPullsNearlyIdenticalImagesApart() {
        Network net = net(35);
        Diversity d = new Diversity("c2");
        INDArray one = Nd4j.rand(DataType.DOUBLE, 1, 1, 12, 12);
        INDArray x = Nd4j.concat(0, one, one, one).addi(Nd4j.randn(DataType.DOUBLE, BATCH, 1, 12, 12).muli(0.05));
        double before = batchValue(net, d, x);
        for (int step = 0; step < 20; step++) {
            batchValue(net, d, x);
            INDArray g = net.backward(d.layers(), 0);
            x.subi(g.div(Math.max(g.norm2Number().doubleValue(), 1e-12)).muli(0.5));
        }
        double after = batchValue(net, d, x);
        assertTrue(after < before - 0.01, "diversity " + before + " -> " + after);
    }

    @Test
    void aSingleImageHasNoOthersToDifferFrom() {
        Network net = Dl4jReader.read(TestNets.small(DataType.DOUBLE, 36)).compile(DataType.DOUBLE, 1, new long[] {1, 12, 12});
        net.input().assign(Nd4j.rand(DataType.DOUBLE, 1, 1, 12, 12));
        net.forward(List.of("c2"));
        net.clearGradients(List.of("c2"));
        assertEquals(0, new Diversity("c2").evaluate(net, 0, 1.0), 0);
        assertEquals(0, net.gradient("c2").amaxNumber().doubleValue(), 0);
    }

    @Test
    void diversityOfTheObjectivesTakesTheirLayerOrRefusesWithoutOne() {
        assertEquals(new Diversity("c2"), Diversity.OF_OBJECTIVES.on("c2"));
        assertEquals(new Diversity("c1"), new Diversity("c1").on("c2"));
        assertThrows(UserError.class, () -> Diversity.OF_OBJECTIVES.on(null));
    }
}
