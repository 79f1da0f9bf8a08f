package io.filterscope.engine.optimizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class NormalizedAscentTest {
    @Test
    void eachImageMovesItsStepSizeAlongItsGradientOverItsRootMeanSquare() {
        Nd4j.getRandom().setSeed(5);
        INDArray parameter = Nd4j.rand(DataType.FLOAT, 3, 2, 4, 5);
        INDArray gradient = Nd4j.randn(DataType.FLOAT, 3, 2, 4, 5);
        gradient.get(NDArrayIndex.point(1)).muli(1000); // a large gradient moves as far as a small one
        gradient.get(NDArrayIndex.point(2)).assign(0); // a zero gradient moves nothing
        double[] stepSizes = {0.5, 0.25, 1};
        double[] p = parameter.dup('c').data().asDouble();
        double[] g = gradient.dup('c').data().asDouble();
        new NormalizedAscent().step(parameter, gradient, stepSizes);
        double[] after = parameter.dup('c').data().asDouble();
        int per = 2 * 4 * 5;
        for (int i = 0; i < 3; i++) {
            double squares = 0;
            for (int j = 0; j < per; j++) {
                squares += g[i * per + j] * g[i * per + j];
            }
            double rms = Math.sqrt(squares / per) + NormalizedAscent.EPSILON;
            double moved = 0;
            for (int j = 0; j < per; j++) {
                int k = i * per + j;
                assertEquals(p[k] + stepSizes[i] * g[k] / rms, after[k], 1e-6 * Math.max(1, Math.abs(after[k])), "image " + i + " value " + j);
                moved += (after[k] - p[k]) * (after[k] - p[k]);
            }
            // Its root-mean-square move is its step size (none for a zero gradient).
            assertEquals(i == 2 ? 0 : stepSizes[i], Math.sqrt(moved / per), 1e-5, "image " + i);
        }
    }

    @Test
    void imagesSteppedTogetherMoveBitForBitAsEachAlone() {
        // 64 px RGB: libnd4j splits the norm of an array's only row among threads at this size, not one of several rows.
        Nd4j.getRandom().setSeed(6);
        INDArray parameter = Nd4j.rand(DataType.FLOAT, 4, 3, 64, 64);
        INDArray gradient = Nd4j.randn(DataType.FLOAT, 4, 3, 64, 64);
        double[] stepSizes = {0.1, 0.2, 0.3, 0.4};
        INDArray together = parameter.dup();
        new NormalizedAscent().step(together, gradient, stepSizes);
        for (int i = 0; i < 4; i++) {
            INDArray alone = parameter.get(NDArrayIndex.interval(i, i + 1)).dup();
            new NormalizedAscent().step(alone, gradient.get(NDArrayIndex.interval(i, i + 1)).dup(), new double[] {stepSizes[i]});
            assertArrayEquals(alone.data().asFloat(), together.get(NDArrayIndex.interval(i, i + 1)).dup().data().asFloat(), "image " + i);
        }
    }
}
