package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Fully connected layer: out = in . W + b, with W [nIn, nOut] as DL4J stores it. */
final class DenseStage extends Stage {
    private final INDArray weights;
    private final INDArray bias;
    /** Its softmax was left out: this is the model's output, exposed as logits. */
    boolean beforeSoftmax;

    DenseStage(String layer, INDArray weights, INDArray bias) {
        super(layer);
        this.weights = weights;
        this.bias = bias;
    }

    @Override
    long parameters() {
        return weights.length() + (bias == null ? 0 : bias.length());
    }

    @Override
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        return volume(outputShape) * weights.size(0);
    }

    @Override
    String kind() {
        return "dense " + weights.size(0) + "->" + weights.size(1);
    }

    @Override
    long[] outputShape(long[] s) {
        if (s.length != 2 || s[1] != weights.size(0)) {
            throw new IllegalArgumentException("layer " + layer + " expects " + weights.size(0)
                    + " inputs, got shape " + java.util.Arrays.toString(s));
        }
        return new long[] {s[0], weights.size(1)};
    }

    @Override
    void forward() {
        product(in, weights, out, false);
        if (bias != null) {
            out.addiRowVector(bias);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        product(gradOut, weights, gradIn, true);
    }

    /**
     * Weights of at most this many values are multiplied one image (row) at a time: a BLAS product's kernels change with
     * its row count (one row is a matrix-vector product), so a run's class values differed in their last bits alone and
     * batched with others. Reading weights this small once per image costs little; larger ones (VGG16's fc layers, 100 M
     * values) are multiplied for the whole batch at once, and there a run's values may differ in the last bits.
     */
    static final long ROW_BY_ROW_MAX = 1L << 22;

    /** {@code into = a . (transposeB ? b^T : b)}, row by row when {@link #ROW_BY_ROW_MAX} allows. */
    private static void product(INDArray a, INDArray b, INDArray into, boolean transposeB) {
        if (a.size(0) == 1 || b.length() > ROW_BY_ROW_MAX) {
            Nd4j.gemm(a, b, into, false, transposeB, 1.0, 0.0);
            return;
        }
        for (int r = 0; r < a.size(0); r++) {
            Nd4j.gemm(Network.rows(a, r, r + 1), b, Network.rows(into, r, r + 1), false, transposeB, 1.0, 0.0);
        }
    }
}
