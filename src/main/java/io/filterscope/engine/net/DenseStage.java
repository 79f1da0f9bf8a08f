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
        Nd4j.gemm(in, weights, out, false, false, 1.0, 0.0);
        if (bias != null) {
            out.addiRowVector(bias);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        Nd4j.gemm(gradOut, weights, gradIn, false, true, 1.0, 0.0);
    }
}
