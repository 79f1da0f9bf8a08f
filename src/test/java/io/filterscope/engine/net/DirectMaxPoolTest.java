package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * oneDNN's max pooling made once gives libnd4j's maxpool2d and maxpool2d_bp (NHWC, as {@link PoolStage} calls them on
 * maps stored channels last) bit for bit, ties included, and a window of equal values sends its gradient to its first
 * pixel in row-major order, as PyTorch's max_pool2d does.
 */
class DirectMaxPoolTest {

    private static float[] values(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    private static void check(long n, long c, long h, long w, int k, int s) {
        long[] inShape = {n, c, h, w};
        long[] outShape = {n, c, (h - k) / s + 1, (w - k) / s + 1};
        // Small integers: many windows hold their maximum twice or more.
        INDArray in = ChannelsLast.create(DataType.FLOAT, inShape).assign(Transforms.floor(Nd4j.rand(DataType.FLOAT, inShape).muli(3)));
        INDArray out = ChannelsLast.create(DataType.FLOAT, outShape);
        INDArray gradIn = ChannelsLast.like(in);
        INDArray gradOut = ChannelsLast.like(out).assign(Nd4j.randn(DataType.FLOAT, outShape));
        DirectMaxPool pool = DirectMaxPool.of(in, out, gradIn, new int[] {k, k}, new int[] {s, s});
        assertNotNull(pool);
        pool.forward(in, out);
        assertTrue(pool.backward(gradOut, gradIn));

        int[] args = {k, k, s, s, 0, 0, 1, 1, 0, 1, 1 /* NHWC */};
        INDArray expectedOut = ChannelsLast.like(out);
        INDArray expectedGrad = ChannelsLast.like(in);
        Stage.exec("maxpool2d", new INDArray[] {ChannelsLast.storage(in)}, new INDArray[] {ChannelsLast.storage(expectedOut)}, args);
        Stage.exec("maxpool2d_bp", new INDArray[] {ChannelsLast.storage(in), ChannelsLast.storage(gradOut)},
                new INDArray[] {ChannelsLast.storage(expectedGrad)}, args);
        assertArrayEquals(values(expectedOut), values(out));
        assertArrayEquals(values(expectedGrad), values(gradIn));
        assertFalse(pool.backward(Nd4j.create(DataType.FLOAT, outShape), gradIn), "a plain output gradient is left to libnd4j");
    }

    @Test
    void vggPoolsWithTies() {
        Nd4j.getRandom().setSeed(21);
        check(1, 64, 16, 16, 2, 2);
        check(2, 24, 9, 11, 2, 2);
    }

    @Test
    void overlappingWindows() {
        Nd4j.getRandom().setSeed(22);
        check(2, 8, 11, 9, 3, 2);
    }

    @Test
    void equalWindowSendsItsGradientToItsFirstPixel() {
        INDArray in = ChannelsLast.create(DataType.FLOAT, new long[] {1, 1, 2, 2}).assign(1);
        INDArray out = ChannelsLast.create(DataType.FLOAT, new long[] {1, 1, 1, 1});
        INDArray gradIn = ChannelsLast.like(in);
        DirectMaxPool pool = DirectMaxPool.of(in, out, gradIn, new int[] {2, 2}, new int[] {2, 2});
        pool.forward(in, out);
        pool.backward(ChannelsLast.like(out).assign(5), gradIn);
        assertEquals(1f, out.getFloat(0L));
        assertArrayEquals(new float[] {5, 0, 0, 0}, values(gradIn));
    }
}
