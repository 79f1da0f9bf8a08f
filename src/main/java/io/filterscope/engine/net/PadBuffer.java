package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A padded copy of a stage's NCHW input, for windows whose padding the native op cannot take (uneven sides,
 * a fill other than zero). The border is written once; each forward pass copies only the interior, and the
 * gradient at the input is the interior of the gradient at the padded copy.
 */
final class PadBuffer {
    final INDArray padded;
    private final INDArray interior;
    private final INDArrayIndex[] inside;

    /** @param pads top, bottom, left, right; {@code fill} is the border's value */
    PadBuffer(INDArray in, int[] pads, double fill) {
        padded = Nd4j.valueArrayOf(new long[] {in.size(0), in.size(1), in.size(2) + pads[0] + pads[1],
            in.size(3) + pads[2] + pads[3]}, fill, in.dataType());
        inside = new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(),
            NDArrayIndex.interval(pads[0], pads[0] + in.size(2)), NDArrayIndex.interval(pads[2], pads[2] + in.size(3))};
        interior = padded.get(inside);
    }

    /** Whether any side is padded. */
    static boolean needed(int[] pads) {
        return pads[0] != 0 || pads[1] != 0 || pads[2] != 0 || pads[3] != 0;
    }

    /** Whether top equals bottom and left equals right, as native ops take padding. */
    static boolean symmetric(int[] pads) {
        return pads[0] == pads[1] && pads[2] == pads[3];
    }

    void fill(INDArray in) {
        interior.assign(in);
    }

    /** Writes the interior of {@code gradPadded} (shaped like {@link #padded}) into {@code gradIn}. */
    void crop(INDArray gradPadded, INDArray gradIn) {
        gradIn.assign(gradPadded.get(inside));
    }
}
