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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * oneDNN's max pooling made once gives libnd4j's maxpool2d and maxpool2d_bp (NHWC, as {@link PoolStage} calls them on
 * maps stored channels last, with oneDNN's first choice of kernel) bit for bit, ties included, whichever forward kernel
 * {@link DirectMaxPool} takes (SSE4.1 on AVX2 machines), with channels filling vectors or not, and a window of equal
 * values sends its gradient to its first pixel in row-major order, as PyTorch's max_pool2d does. Each image of a batch
 * is pooled as it is alone.
 */
class DirectMaxPoolTest {

    private static float[] values(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    /** Maps of small integers: many windows hold their maximum twice or more. */
    private static INDArray tied(long... shape) {
        return ChannelsLast.create(DataType.FLOAT, shape).assign(Transforms.floor(Nd4j.rand(DataType.FLOAT, shape).muli(3)));
    }

    private static long[] pooled(long[] shape, int k, int s) {
        return new long[] {shape[0], shape[1], (shape[2] - k) / s + 1, (shape[3] - k) / s + 1};
    }

    /** Pools {@code in} into {@code out} and output gradient {@code gradOut} into {@code gradIn} by a DirectMaxPool. */
    private static DirectMaxPool pool(INDArray in, INDArray gradOut, INDArray out, INDArray gradIn, int k, int s) {
        DirectMaxPool pool = DirectMaxPool.of(in, out, gradIn, new int[] {k, k}, new int[] {s, s});
        assertNotNull(pool);
        pool.forward(in, out);
        assertTrue(pool.backward(gradOut, gradIn));
        return pool;
    }

    private static void check(long n, long c, long h, long w, int k, int s) {
        long[] inShape = {n, c, h, w};
        long[] outShape = pooled(inShape, k, s);
        INDArray in = tied(inShape);
        INDArray out = ChannelsLast.create(DataType.FLOAT, outShape);
        INDArray gradIn = ChannelsLast.like(in);
        // Some output gradients -0.0 (a ReLU's backward writes them): libnd4j's kernel adds them to zero, giving +0.0.
        INDArray gradOut = ChannelsLast.like(out).assign(Nd4j.randn(DataType.FLOAT, outShape));
        gradOut.muli(Transforms.greaterThanOrEqual(gradOut, Nd4j.scalar(DataType.FLOAT, -0.5f)).castTo(DataType.FLOAT));
        DirectMaxPool pool = pool(in, gradOut, out, gradIn, k, s);

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
    void leNetPoolAndChannelsNotFillingVectors() {
        Nd4j.getRandom().setSeed(23);
        check(8, 32, 24, 24, 2, 2);
        check(2, 12, 7, 9, 2, 2);
        check(3, 5, 8, 8, 3, 1);
    }

    @Test
    void eachImageOfABatchIsPooledAsAlone() {
        Nd4j.getRandom().setSeed(24);
        long[] shape = {3, 32, 24, 24};
        INDArray in = tied(shape);
        long[] outShape = pooled(shape, 2, 2);
        INDArray gradOut = ChannelsLast.create(DataType.FLOAT, outShape).assign(Nd4j.randn(DataType.FLOAT, outShape));
        INDArray out = ChannelsLast.like(gradOut);
        INDArray gradIn = ChannelsLast.like(in);
        pool(in, gradOut, out, gradIn, 2, 2);
        for (long i = 0; i < shape[0]; i++) {
            INDArray image = alone(in, i);
            INDArray imageGradOut = alone(gradOut, i);
            INDArray imageOut = ChannelsLast.like(imageGradOut);
            INDArray imageGradIn = ChannelsLast.like(image);
            pool(image, imageGradOut, imageOut, imageGradIn, 2, 2);
            assertArrayEquals(values(imageOut), values(out.get(NDArrayIndex.interval(i, i + 1))), "image " + i);
            assertArrayEquals(values(imageGradIn), values(gradIn.get(NDArrayIndex.interval(i, i + 1))), "image " + i);
        }
    }

    /** Image {@code i} of {@code batch}, copied into an array of its own stored channels last. */
    private static INDArray alone(INDArray batch, long i) {
        INDArray image = batch.get(NDArrayIndex.interval(i, i + 1));
        return ChannelsLast.create(DataType.FLOAT, image.shape()).assign(image);
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
