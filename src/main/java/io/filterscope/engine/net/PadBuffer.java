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

    /**
     * What a windowed op (convolution) reads: its input itself when the padding is the same on both sides of each
     * axis ({@code nativePad}, {rows, columns}, for the native op), else a zero-padded copy ({@code copy}).
     * {@code array} is what the op reads and {@code grad} where its input gradient goes.
     */
    record Source(int[] nativePad, PadBuffer copy, INDArray array, INDArray grad) {
        static Source of(INDArray in, INDArray gradIn, int[] pads) {
            if (symmetric(pads)) {
                return new Source(new int[] {pads[0], pads[2]}, null, in, gradIn);
            }
            PadBuffer copy = new PadBuffer(in, pads, 0);
            return new Source(new int[] {0, 0}, copy, copy.padded, copy.padded.like());
        }

        /** Before the op: copies the input into the padded copy, if there is one. */
        void fill(INDArray in) {
            if (copy != null) {
                copy.fill(in);
            }
        }

        /** After the op's backward pass: the input gradient from the padded copy's, if there is one. */
        void crop(INDArray gradIn) {
            if (copy != null) {
                copy.crop(grad, gradIn);
            }
        }
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
