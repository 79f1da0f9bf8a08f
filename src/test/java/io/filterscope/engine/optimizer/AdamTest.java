package io.filterscope.engine.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class AdamTest {

    /** Kingma and Ba's algorithm 1 in their faster order (epsilon scaled by sqrt(1 - beta2^t)), per element in doubles, moving up the gradient. */
    private static final class Textbook {
        final double[] m;
        final double[] v;
        int t;

        Textbook(int n) {
            m = new double[n];
            v = new double[n];
        }

        void step(double[] parameter, double[] gradient, double stepSize) {
            t++;
            for (int i = 0; i < parameter.length; i++) {
                m[i] = 0.9 * m[i] + 0.1 * gradient[i];
                v[i] = 0.999 * v[i] + 0.001 * gradient[i] * gradient[i];
                double mHat = m[i] / (1 - Math.pow(0.9, t));
                double vHat = v[i] / (1 - Math.pow(0.999, t));
                parameter[i] += stepSize * mHat / (Math.sqrt(vHat) + 1e-8 / Math.sqrt(1 - Math.pow(0.999, t)));
            }
        }
    }

    @Test
    void followsKingmaAndBaStepByStepWithItsMomentsKeptBetweenSteps() {
        Nd4j.getRandom().setSeed(3);
        INDArray parameter = Nd4j.rand(DataType.DOUBLE, 2, 1, 3, 4);
        double[] expected = parameter.dup().data().asDouble();
        Adam adam = new Adam(parameter);
        Textbook textbook = new Textbook(expected.length);
        for (int step = 0; step < 12; step++) {
            // Gradients that change sign and size from step to step, so the moments matter.
            INDArray gradient = Nd4j.randn(DataType.DOUBLE, 2, 1, 3, 4).muli(step % 3 == 0 ? -2 : 0.5);
            double stepSize = 0.05 / (1 + 0.1 * step);
            adam.step(parameter, gradient, new double[] {stepSize, stepSize});
            textbook.step(expected, gradient.dup().data().asDouble(), stepSize);
            double[] actual = parameter.dup().data().asDouble();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-9, "element " + i + " after step " + step);
            }
        }
    }

    @Test
    void stackedAdamsKeepEachRowsStepCountAndStepSize() {
        Nd4j.getRandom().setSeed(4);
        // Row 0 has taken three steps alone before it joins row 1, which starts with the stack.
        INDArray older = Nd4j.rand(DataType.DOUBLE, 1, 6);
        INDArray newer = Nd4j.rand(DataType.DOUBLE, 1, 6);
        Textbook olderBook = new Textbook(6);
        Textbook newerBook = new Textbook(6);
        double[] olderExpected = older.dup().data().asDouble();
        double[] newerExpected = newer.dup().data().asDouble();
        Adam olderAdam = new Adam(older);
        for (int step = 0; step < 3; step++) {
            INDArray gradient = Nd4j.randn(DataType.DOUBLE, 1, 6);
            olderAdam.step(older, gradient, new double[] {0.1});
            olderBook.step(olderExpected, gradient.dup().data().asDouble(), 0.1);
        }
        Adam newerAdam = new Adam(newer);
        Optimizer both = olderAdam.stack(java.util.List.of(olderAdam, newerAdam));
        INDArray parameter = Nd4j.concat(0, older, newer);
        for (int step = 0; step < 4; step++) {
            INDArray gradient = Nd4j.randn(DataType.DOUBLE, 2, 6);
            both.step(parameter, gradient, new double[] {0.1, 0.02});
            olderBook.step(olderExpected, gradient.getRow(0).dup().data().asDouble(), 0.1);
            newerBook.step(newerExpected, gradient.getRow(1).dup().data().asDouble(), 0.02);
        }
        newerAdam.unstack(both, 1);
        newer.assign(parameter.getRow(1));
        INDArray gradient = Nd4j.randn(DataType.DOUBLE, 1, 6);
        newerAdam.step(newer, gradient, new double[] {0.02});
        newerBook.step(newerExpected, gradient.dup().data().asDouble(), 0.02);
        for (int i = 0; i < 6; i++) {
            assertEquals(olderExpected[i], parameter.getDouble(0, i), 1e-9, "the older row, element " + i);
            assertEquals(newerExpected[i], newer.getDouble(0, i), 1e-9, "the newer row after it left, element " + i);
        }
    }
}
