package io.filterscope.engine.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import io.filterscope.engine.param.InputSpace;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PadTest {
    private static final Pad PAD = new Pad(3, InputSpace.CAFFE_BGR);

    @Test
    void theImageSitsInTheMiddleOfABorderOfEachChannelsMidGrey() {
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 5, 4);
        INDArray y = PAD.sample(new Random(1), x.shape()).forward(x);
        assertArrayEquals(new long[] {2, 3, 11, 10}, y.shape());
        assertArrayEquals(y.shape(), PAD.outputShape(x.shape()));
        assertEquals(x, y.get(all(), all(), interval(3, 8), interval(3, 7)));
        double[] grey = InputSpace.CAFFE_BGR.neutral(3);
        for (int c = 0; c < 3; c++) {
            INDArray plane = y.get(point(1), point(c));
            assertEquals(grey[c], plane.getDouble(0, 0), 1e-9);
            assertEquals(grey[c], plane.getDouble(10, 9), 1e-9);
            assertEquals(grey[c], plane.getDouble(4, 1), 1e-9);
        }
    }

    @Test
    void backwardIsTheAdjointOfForwardsLinearPart() {
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 5, 4);
        INDArray g = Nd4j.randn(DataType.DOUBLE, 2, 3, 11, 10);
        Transform.Sampled pad = PAD.sample(new Random(1), x.shape());
        // Forward adds a constant border; its linear part is the embedding, whose adjoint is the crop.
        INDArray constant = pad.forward(x.like());
        double left = pad.forward(x).sub(constant).mul(g).sumNumber().doubleValue();
        double right = x.mul(pad.backward(g)).sumNumber().doubleValue();
        assertEquals(left, right, 1e-9 * Math.abs(left) + 1e-9);
        assertArrayEquals(x.shape(), pad.backward(g).shape());
    }
}
