package io.filterscope.engine.net;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NCHW arrays stored channels last: shaped [n, c, h, w], their values laid out in memory as [n, h, w, c] (a
 * permuted view of a dense NHWC array). oneDNN's convolutions on CPU compute in that order (its brgconv kernels
 * choose it on AVX-512 processors; AVX2 ones choose a blocked layout, {@link DirectConv}), and libnd4j hands them an
 * array's own strides: a plain NCHW map is copied into that order before every convolution and back after it (input,
 * output, and the output once more before the call: three copies of the maps per pass, 0.7-1 ms each for a 64 x 128 x
 * 128 map), a map stored channels last is used as it lies.
 * Same values bit for bit (the same kernel runs). Pools read and write such maps as NHWC, where oneDNN's fast
 * kernel takes any size; element-wise ops run on the dense NHWC arrays.
 */
final class ChannelsLast {
    private ChannelsLast() {
    }

    /** A zeroed array shaped [n, c, h, w] ({@code shape}) stored channels last. */
    static INDArray create(DataType type, long[] shape) {
        return Nd4j.create(type, shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2);
    }

    /** Whether {@code a} is a whole array shaped [n, c, h, w] stored channels last ({@link #create}). */
    static boolean is(INDArray a) {
        return a.offset() == 0 && laidOut(a);
    }

    /** Whether {@code a}, [n, c, h, w], lies in memory channels last: a whole such array, or some of its images. */
    static boolean laidOut(INDArray a) {
        if (a.rank() != 4) {
            return false;
        }
        long c = a.size(1);
        long w = a.size(3);
        return a.stride(1) == 1 && a.stride(3) == c && a.stride(2) == c * w && a.stride(0) == c * w * a.size(2);
    }

    /**
     * The dense [n, h, w, c] array behind an array stored channels last: what NHWC ops and element-wise ops take.
     *
     * @throws IllegalArgumentException when {@code a} is not stored channels last
     */
    static INDArray storage(INDArray a) {
        if (!is(a)) {
            throw new IllegalArgumentException("not an array stored channels last: shape " + java.util.Arrays.toString(a.shape())
                    + ", strides " + java.util.Arrays.toString(a.stride()));
        }
        return a.permute(0, 2, 3, 1);
    }

    /** A zeroed array of {@code a}'s shape, type and layout (channels last or plain). */
    static INDArray like(INDArray a) {
        return is(a) ? create(a.dataType(), a.shape()) : Nd4j.create(a.dataType(), a.shape());
    }

    /** What element-wise ops should run on: the dense storage when every array is stored channels last, else the arrays. */
    static INDArray[] elementwise(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (!is(a)) {
                return arrays;
            }
        }
        INDArray[] dense = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            dense[i] = storage(arrays[i]);
        }
        return dense;
    }
}
