package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.opentest4j.AssertionFailedError;

/** The gradient checker tells a kink inside its step from a wrong gradient. */
class FiniteDifferencesTest {
    /** f(x) = sum of relu(x): its gradient is the step function. */
    private static final Function<INDArray, Double> RELU_SUM = x -> Transforms.relu(x, true).sumNumber().doubleValue();

    /** One element sits 1.5e-7 from ReLU's kink: a step of 1e-7 crosses it in one direction of eight. */
    @Test
    void aRightGradientPassesWhenTheStepCrossesAKink() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.createFromArray(1.5e-7, 0.7, -0.4, 1.3);
        INDArray gradient = Nd4j.createFromArray(1.0, 1.0, 0.0, 1.0);
        int redrawn = FiniteDifferences.assertDirectionalDerivatives(RELU_SUM, x, gradient, 4, 1e-6, 1e-7);
        assertTrue(redrawn > 0, "no direction crossed the kink: the test checks nothing");
    }

    @Test
    void aWrongGradientFailsAwayFromKinks() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.createFromArray(0.2, 0.7, -0.4, 1.3);
        INDArray gradient = Nd4j.createFromArray(1.0, 1.0, 0.0, 0.96);
        assertThrows(AssertionFailedError.class, () -> FiniteDifferences.assertDirectionalDerivatives(RELU_SUM, x, gradient, 4, 1e-6));
    }

    /** At a kink the gap between one-sided quotients is the jump; a gradient off by more than that still fails. */
    @Test
    void aWrongGradientFailsEvenWhereTheStepCrossesAKink() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.createFromArray(1.5e-7, 0.7, -0.4, 1.3);
        INDArray gradient = Nd4j.createFromArray(1.0, 1.0, 0.0, 3.0);
        assertThrows(AssertionFailedError.class, () -> FiniteDifferences.assertDirectionalDerivatives(RELU_SUM, x, gradient, 4, 1e-6));
    }
}
