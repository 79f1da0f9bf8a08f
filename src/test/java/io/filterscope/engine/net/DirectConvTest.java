package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * oneDNN's convolution called directly, its weights reordered once, gives libnd4j's conv2d's values bit for bit, and
 * convolves maps stored channels last whatever layout oneDNN chooses for them (copying them into a blocked one on AVX2).
 */
class DirectConvTest {

    /** libnd4j's conv2d as {@link ConvStage} calls it. */
    private static INDArray libnd4j(INDArray src, INDArray w, INDArray b, INDArray like, int[] stride, int[] pad) {
        INDArray out = ChannelsLast.like(like);
        INDArray[] inputs = b == null ? new INDArray[] {src, w} : new INDArray[] {src, w, b};
        Stage.exec("conv2d", inputs, new INDArray[] {out}, new int[] {(int) w.size(2), (int) w.size(3), stride[0], stride[1],
            pad[0], pad[1], 1, 1, 0, 0, 1});
        return out;
    }

    private static float[] values(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    private static void check(INDArray src, INDArray w, INDArray b, INDArray dst, int[] stride, int[] pad) {
        assertTrue(OneDnn.available(), "oneDNN found in libnd4jcpu.so");
        DirectConv conv = DirectConv.of(src, w, b, dst, stride, pad, false);
        assertNotNull(conv);
        assertTrue(conv.run(src, dst));
        float[] expected = values(libnd4j(src, w, b, dst, stride, pad));
        assertArrayEquals(expected, values(dst));
        assertTrue(dst.amaxNumber().doubleValue() > 0, "written");
        // Another input and output of the same layout: the primitive's buffers follow them.
        INDArray src2 = ChannelsLast.like(src).assign(Nd4j.randn(DataType.FLOAT, src.shape()));
        INDArray dst2 = ChannelsLast.like(dst);
        assertTrue(conv.run(src2, dst2));
        assertArrayEquals(values(libnd4j(src2, w, b, dst, stride, pad)), values(dst2));
        assertArrayEquals(expected, values(dst), "the first output untouched");
    }

    private static INDArray channelsLast(long... shape) {
        return ChannelsLast.create(DataType.FLOAT, shape).assign(Nd4j.randn(DataType.FLOAT, shape));
    }

    @Test
    void vggLayerOnMapsStoredChannelsLast() {
        Nd4j.getRandom().setSeed(1);
        INDArray w = Nd4j.randn(DataType.FLOAT, 64, 64, 3, 3);
        INDArray b = Nd4j.randn(DataType.FLOAT, 64);
        check(channelsLast(1, 64, 40, 40), w, b, channelsLast(1, 64, 40, 40), new int[] {1, 1}, new int[] {1, 1});
    }

    @Test
    void wideLayerBatchOfTwoWithoutBias() {
        Nd4j.getRandom().setSeed(2);
        INDArray w = Nd4j.randn(DataType.FLOAT, 160, 256, 3, 3);
        check(channelsLast(2, 256, 8, 8), w, null, channelsLast(2, 160, 8, 8), new int[] {1, 1}, new int[] {1, 1});
    }

    @Test
    void pointwiseAndUnpaddedOddSizes() {
        Nd4j.getRandom().setSeed(3);
        INDArray src = channelsLast(3, 16, 15, 13);
        check(src, Nd4j.randn(DataType.FLOAT, 24, 16, 1, 1), Nd4j.randn(DataType.FLOAT, 24), channelsLast(3, 24, 15, 13),
                new int[] {1, 1}, new int[] {0, 0});
        check(src, Nd4j.randn(DataType.FLOAT, 8, 16, 3, 3), null, channelsLast(3, 8, 13, 11), new int[] {1, 1}, new int[] {0, 0});
    }

    /** A first layer's dense grey input is convolved directly, not copied channels last first. */
    @Test
    void aGreyFirstLayerReadsItsPlainInputAsItLies() {
        Nd4j.getRandom().setSeed(4);
        check(Nd4j.randn(DataType.FLOAT, 4, 1, 28, 28), Nd4j.randn(DataType.FLOAT, 32, 1, 3, 3), Nd4j.randn(DataType.FLOAT, 32),
                channelsLast(4, 32, 26, 26), new int[] {1, 1}, new int[] {0, 0});
    }

    @Test
    void plainMapsAnotherLayoutAndDoublesAreLeftToLibnd4j() {
        INDArray w = Nd4j.randn(DataType.FLOAT, 8, 8, 3, 3);
        INDArray plain = Nd4j.randn(DataType.FLOAT, 1, 8, 10, 10);
        INDArray dst = channelsLast(1, 8, 10, 10);
        assertNull(DirectConv.of(plain, w, null, dst, new int[] {1, 1}, new int[] {1, 1}, false),
                "libnd4j would reorder a plain input to the layout the primitive chose");
        INDArray src = channelsLast(1, 8, 10, 10);
        DirectConv conv = DirectConv.of(src, w, null, dst, new int[] {1, 1}, new int[] {1, 1}, false);
        assertNotNull(conv);
        assertFalse(conv.run(plain, dst), "a plain input where the primitive reads maps stored channels last");
        assertNull(DirectConv.of(src.castTo(DataType.DOUBLE), w.castTo(DataType.DOUBLE), null, dst.castTo(DataType.DOUBLE),
                new int[] {1, 1}, new int[] {1, 1}, false));
    }
}
