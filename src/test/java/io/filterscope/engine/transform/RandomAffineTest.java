package io.filterscope.engine.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.render.RenderParams;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RandomAffineTest {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static RenderParams params(String json) throws Exception {
        return RenderParams.DEFAULTS.with(JSON.readTree(json));
    }

    @Test
    void backwardIsTheAdjointOfForward() throws Exception {
        RandomAffine warp = RandomAffine.sample(params("{\"jitter\":3,\"rotate\":20,\"scale\":[0.9,1.1]}"),
                new Random(4), 17, 13);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 17, 13);
        INDArray y = Nd4j.randn(DataType.DOUBLE, 2, 3, 17, 13);
        // <T x, y> == <x, T^T y>
        double left = warp.forward(x).mul(y).sumNumber().doubleValue();
        double right = x.mul(warp.backward(y)).sumNumber().doubleValue();
        assertEquals(left, right, 1e-9 * Math.abs(left) + 1e-9);
    }

    @Test
    void jitterAloneShiftsTheImageByWholePixels() throws Exception {
        RandomAffine warp = RandomAffine.sample(params("{\"jitter\":2}"), new Random(1), 10, 10);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 1, 10, 10);
        x.putScalar(new long[] {0, 0, 5, 5}, 1.0);
        INDArray y = warp.forward(x);
        assertEquals(1.0, y.sumNumber().doubleValue(), 1e-12);
        assertEquals(1.0, y.maxNumber().doubleValue(), 1e-12, "a single pixel stays a single pixel");
    }

    @Test
    void isOffByDefault() {
        assertFalse(RandomAffine.active(RenderParams.DEFAULTS));
    }

    @Test
    void rotationMovesPixels() throws Exception {
        RandomAffine warp = RandomAffine.sample(params("{\"rotate\":90}"), new Random(2), 9, 9);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 1, 9, 9);
        assertTrue(warp.forward(x).sub(x).amaxNumber().doubleValue() > 0.05);
    }
}
