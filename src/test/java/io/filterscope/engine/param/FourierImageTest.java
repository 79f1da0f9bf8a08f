package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.FiniteDifferences;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FourierImageTest {

    @Test
    void basisIsOrthonormalForOddAndEvenSizes() {
        for (int n : new int[] {7, 8, 28}) {
            INDArray b = FourierImage.basis(n);
            INDArray gram = b.transpose().mmul(b);
            assertEquals(0, gram.sub(Nd4j.eye(n)).amaxNumber().doubleValue(), 1e-12, "n=" + n);
        }
    }

    @Test
    void imageStaysInsideTheInputRange() {
        InputSpace space = InputSpace.range(-2, 3);
        FourierImage image = new FourierImage(new long[] {2, 3, 16, 12}, DataType.DOUBLE, space, true, 1);
        image.parameter().assign(Nd4j.randn(DataType.DOUBLE, 2, 3, 16, 12).muli(1e4));
        INDArray x = image.image();
        assertTrue(x.minNumber().doubleValue() >= -2 && x.maxNumber().doubleValue() <= 3);
    }

    @Test
    void gradientMatchesFiniteDifferencesWithDecorrelatedColour() {
        assertGradientMatchesFiniteDifferences(new long[] {2, 3, 9, 8}, InputSpace.range(0, 255), 3);
    }

    @Test
    void gradientMatchesFiniteDifferencesInACaffeBgrInputSpace() {
        assertGradientMatchesFiniteDifferences(new long[] {1, 3, 6, 7}, InputSpace.CAFFE_BGR, 4);
    }

    /** The gradient of f = &lt;weights, image&gt; with respect to the Fourier parameters, decorrelated colour on. */
    private static void assertGradientMatchesFiniteDifferences(long[] shape, InputSpace space, long seed) {
        FourierImage image = new FourierImage(shape, DataType.DOUBLE, space, true, seed);
        image.parameter().assign(Nd4j.randn(DataType.DOUBLE, shape).muli(5));
        INDArray weights = Nd4j.randn(DataType.DOUBLE, shape);
        INDArray start = image.parameter().dup();
        java.util.function.Function<INDArray, Double> f = p -> {
            image.parameter().assign(p);
            return image.image().mul(weights).sumNumber().doubleValue();
        };
        f.apply(start);
        INDArray gradient = image.backward(weights).dup();
        FiniteDifferences.assertDirectionalDerivatives(f, start, gradient, 5, 1e-6);
    }

    @Test
    void startsAsMidGreyWithSmallVariation() {
        FourierImage image = new FourierImage(new long[] {1, 1, 28, 28}, DataType.FLOAT, InputSpace.UNIT, true, 9);
        INDArray x = image.image();
        assertEquals(0.5, x.meanNumber().doubleValue(), 0.05);
        assertTrue(x.stdNumber().doubleValue() < 0.05);
    }
}
