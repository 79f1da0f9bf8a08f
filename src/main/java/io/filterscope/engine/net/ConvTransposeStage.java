package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D transposed convolution (ONNX ConvTranspose, PyTorch's ConvTranspose2d), NCHW, weights
 * [in, out, kh, kw], symmetric padding, no groups or dilation: the input gradient of a convolution, run
 * forward (libnd4j's deconv2d). Its own input gradient is therefore a plain convolution of the output
 * gradient with the same weights, read as [out = in, in = out, kh, kw], with the same stride and padding.
 */
final class ConvTransposeStage extends Stage {
    private final INDArray weights;
    private final INDArray bias;
    private final int[] stride;
    private final int[] padding;
    private DynamicCustomOp forwardOp;
    private DynamicCustomOp backwardOp;

    /** @param padding {rows, columns}, removed from both sides of the output */
    ConvTransposeStage(String layer, INDArray weights, INDArray bias, int[] stride, int[] padding) {
        super(layer);
        this.weights = weights;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    long parameters() {
        return weights.length() + (bias == null ? 0 : bias.length());
    }

    /** Each input value is multiplied into a kernel's window of every output channel. */
    @Override
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        return volume(inputShapes[0]) * weights.size(1) * weights.size(2) * weights.size(3);
    }

    @Override
    String kind() {
        return "convtranspose " + weights.size(2) + "x" + weights.size(3);
    }

    @Override
    long[] outputShape(long[] s) {
        if (s.length != 4 || s[1] != weights.size(0)) {
            throw new IllegalStateException("layer " + layer + " expects " + weights.size(0) + " input channels, got shape "
                    + java.util.Arrays.toString(s));
        }
        long h = (s[2] - 1) * stride[0] - 2L * padding[0] + weights.size(2);
        long w = (s[3] - 1) * stride[1] - 2L * padding[1] + weights.size(3);
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException("input of " + s[2] + "x" + s[3] + " px is too small for layer " + layer);
        }
        return new long[] {s[0], weights.size(1), h, w};
    }

    private int[] args() {
        return new int[] {(int) weights.size(2), (int) weights.size(3), stride[0], stride[1], padding[0], padding[1], 1, 1,
            0 /* explicit padding */, 0 /* NCHW */, 1 /* weights [in, out, kh, kw] for deconv2d, [out, in, kh, kw] for conv2d */};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        INDArray[] inputs = bias == null ? new INDArray[] {in, weights} : new INDArray[] {in, weights, bias};
        forwardOp = DynamicCustomOp.builder("deconv2d").addInputs(inputs).addOutputs(out).addIntegerArguments(args()).build();
    }

    @Override
    void forward() {
        Nd4j.exec(forwardOp);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (backwardOp == null || backwardOp.getInputArgument(0) != gradOut) {
            backwardOp = DynamicCustomOp.builder("conv2d").addInputs(gradOut, weights).addOutputs(gradIn)
                    .addIntegerArguments(args()).build();
        }
        Nd4j.exec(backwardOp);
    }
}
