package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Softmax over the channels (axis 1) at every position; its gradient is {@code y * (g - sum_c g y)}. */
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
        exec("softmax", new INDArray[] {in}, new INDArray[] {out}, new int[] {1});
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        gradOut.mul(out, product);
        sumTo(product, sums);
        pairwise("multiply", out, sums, gradIn);
        product.sub(gradIn, gradIn);
    }
}
