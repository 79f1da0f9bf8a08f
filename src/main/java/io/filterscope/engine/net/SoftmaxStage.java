package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax over the channels (axis 1) at every position, {@code exp(x - max) / sum exp(x - max)}; its gradient
 * is {@code y * (g - sum_c g y)}. Composed of reductions along axis 1: libnd4j's softmax op, in float32
 * (oneDNN), normalizes along the last axis whatever axis it is given.
 */
final class SoftmaxStage extends Stage {
    private INDArray product;
    private INDArray sums;

    SoftmaxStage(String layer) {
        super(layer);
    }

    @Override
    String kind() {
        return "softmax";
    }

    @Override
    long[] outputShape(long[] s) {
        return s;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        product = out.like();
        long[] reduced = input.shape().clone();
        reduced[1] = 1;
        sums = Nd4j.create(input.dataType(), reduced);
    }

    @Override
    void forward() {
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.reduce.same.Max(in, sums, true, 1));
        pairwise("subtract", in, sums, out);
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Exp(out, out));
        sumTo(out, sums);
        pairwise("divide", out, sums, out);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        gradOut.mul(out, product);
        sumTo(product, sums);
        pairwise("multiply", out, sums, gradIn);
        product.sub(gradIn, gradIn);
    }
}
