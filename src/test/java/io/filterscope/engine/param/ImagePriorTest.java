package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The prior's products, on the host (CPU builds) and as device ops (CUDA builds; here on the CPU): what they compute,
 * and that each row's result is the same however many rows go with it.
 */
class ImagePriorTest {
    /** fashion-cnn's prior's shape: 64 components of 28x28 grey pictures. */
    private static ImagePrior prior(boolean onDevice) {
        Nd4j.getRandom().setSeed(5);
        return new ImagePrior("test.prior", 1, 28, 28, Nd4j.randn(DataType.FLOAT, 784), Nd4j.randn(DataType.FLOAT, 64, 784), onDevice);
    }

    private static INDArray row(INDArray a, int i) {
        return a.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all());
    }

    /** The values exactly (INDArray's equals allows a difference of 1e-5). */
    private static float[] bits(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    @ParameterizedTest(name = "on the device: {0}")
    @ValueSource(booleans = {false, true})
    void logitsAreMeanPlusCodeTimesComponents(boolean onDevice) {
        ImagePrior prior = prior(onDevice);
        INDArray z = Nd4j.randn(DataType.DOUBLE, 3, 64);
        INDArray expected = z.mmul(prior.components().castTo(DataType.DOUBLE)).addiRowVector(prior.mean().castTo(DataType.DOUBLE));
        assertEquals(0, prior.logits(z).sub(expected).amaxNumber().doubleValue(), 1e-9);
    }

    @ParameterizedTest(name = "on the device: {0}")
    @ValueSource(booleans = {false, true})
    void codeGradientIsTheGradientTimesTheComponentsTransposed(boolean onDevice) {
        ImagePrior prior = prior(onDevice);
        INDArray g = Nd4j.randn(DataType.DOUBLE, 3, 784);
        INDArray expected = g.mmul(prior.components().castTo(DataType.DOUBLE).transpose());
        assertEquals(0, prior.codeGradient(g).sub(expected).amaxNumber().doubleValue(), 1e-9);
    }

    /**
     * A 30-row mmul's rows differ in their last bits from the same rows alone here: these products must not, at
     * any row of a block of 2, 7 or 30 (a shared step's rows are views into the block, as here).
     */
    @ParameterizedTest(name = "on the device: {0}")
    @ValueSource(booleans = {false, true})
    void eachRowComesOutTheSameAloneAsInABlock(boolean onDevice) {
        ImagePrior prior = prior(onDevice);
        for (int rows : new int[] {2, 7, 30}) {
            INDArray z = Nd4j.randn(DataType.FLOAT, rows, 64);
            INDArray g = Nd4j.randn(DataType.FLOAT, rows, 784);
            INDArray logits = prior.logits(z);
            INDArray codeGradient = prior.codeGradient(g);
            for (int i = 0; i < rows; i++) {
                assertArrayEquals(bits(prior.logits(row(z, i).dup())), bits(row(logits, i)), "logits of row " + i + " of " + rows);
                assertArrayEquals(bits(prior.codeGradient(row(g, i).dup())), bits(row(codeGradient, i)),
                        "code gradient of row " + i + " of " + rows);
            }
        }
    }
}
