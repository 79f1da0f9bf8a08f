package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Local response normalization across channels, as in AlexNet and GoogLeNet (ONNX LRN, Caffe's
 * ACROSS_CHANNELS): {@code y_c = x_c / (bias + alpha / size * sum of x_k^2 over k in [c - floor((size-1)/2),
 * c + ceil((size-1)/2)])^beta}. Written out with shifted channel views rather than libnd4j's lrn, whose window
 * is symmetric only; the input gradient is the exact derivative, summed over the mirrored window.
 */
final class LrnStage extends Stage {
    private final int size;
    private final double alpha;
    private final double beta;
    private final double bias;
    private final int before;
    private final int after;
    private INDArray squares;
    private INDArray denominators;
    private INDArray factors;
    private INDArray scratch;
    private INDArray mirrored;

    LrnStage(String layer, int size, double alpha, double beta, double bias) {
        super(layer);
        if (size < 1) {
            throw new IllegalArgumentException("layer " + layer + ": LRN size must be positive, got " + size);
        }
        this.size = size;
        this.alpha = alpha;
        this.beta = beta;
        this.bias = bias;
        this.before = (size - 1) / 2;
        this.after = size - 1 - before;
    }

    @Override
    String kind() {
        return "lrn " + size;
    }

    @Override
    long[] outputShape(long[] s) {
        if (s.length != 4) {
            throw new IllegalStateException("layer " + layer + " normalizes maps, got rank " + s.length);
        }
        return s;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        squares = out.like();
        denominators = out.like();
        factors = out.like();
        scratch = out.like();
        mirrored = out.like();
    }

    /** target[c] = sum of source[c + o] for o in [-from, to], channels outside the map counting as zero. */
    private static void windowSum(INDArray source, INDArray target, int from, int to) {
        target.assign(0);
        long channels = source.size(1);
        for (int o = -from; o <= to; o++) {
            long lo = Math.max(0, -o);
            long hi = Math.min(channels, channels - o);
            if (lo < hi) {
                target.get(channels(lo, hi)).addi(source.get(channels(lo + o, hi + o)));
            }
        }
    }

    private static INDArrayIndex[] channels(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all()};
    }

    @Override
    void forward() {
        squares.assign(in).muli(in);
        windowSum(squares, denominators, before, after);
        denominators.muli(alpha / size).addi(bias);
        Transforms.pow(factors.assign(denominators), -beta, false);
        out.assign(in).muli(factors);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        // d y_j / d x_i = [i == j] * s_j^-beta - 2 * alpha / size * beta * x_i * x_j * s_j^(-beta-1) for i in
        // window(j), i.e. j in the mirrored window of i.
        scratch.assign(gradOut).muli(in).muli(factors).divi(denominators);
        windowSum(scratch, mirrored, after, before);
        gradIn.assign(mirrored).muli(in).muli(-2 * alpha / size * beta);
        gradIn.addi(gradOut.mul(factors));
    }
}
