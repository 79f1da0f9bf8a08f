package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An inference batch norm folded into the convolution before it, as inference engines compile Conv-BN pairs
 * (Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
 * Inference", section 3.2; PyTorch's {@code fuse_conv_bn_eval}): {@code (x * W + b) * scale + shift} is
 * {@code x * (W * scale) + (b * scale + shift)}, per output channel, so one convolution with those weights reads the
 * convolution's input and gives the norm's output [n, c, h, w]. Its input gradient is that convolution's, the
 * transposed convolution of the folded weights. It saves the norm's passes over memory (each about as long as a
 * ReLU's) and lets the map between the convolution and the next one be stored {@link ChannelsLast channels last}.
 * <p>
 * The convolution's own layer stays in the network, reading the same input: {@link ModelGraph} folds only where the
 * norm is its one reader, so it is computed only when an objective or a query asks for that layer. Same values up to
 * rounding (the products are grouped differently).
 */
final class FoldedBatchNormStage extends Stage {
    private final Stage convolution;
    private final BatchNormStage norm;
    private boolean normAllocated;

    /**
     * @param convolution the convolution with the norm folded into its weights and bias
     * @param norm the norm itself, for its parameter count and {@link #gradientBeforeNorm}
     */
    FoldedBatchNormStage(Stage convolution, BatchNormStage norm) {
        super(norm.layer);
        this.convolution = convolution;
        this.norm = norm;
    }

    /** The norm's own scale and shift: the model's parameters; the folded weights are a copy ({@link #copiedParameters}). */
    @Override
    long parameters() {
        return norm.parameters();
    }

    /** The convolution's weights and bias with the norm folded in, made for this stage when its network was compiled. */
    @Override
    long copiedParameters() {
        return convolution.parameters();
    }

    @Override
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        return convolution.multiplyAdds(inputShapes, outputShape);
    }

    /** The layer's kind is the norm's (callers that look for convolutions by kind must not take it for one). */
    @Override
    String kind() {
        return norm.kind();
    }

    @Override
    String description() {
        return convolution.description() + " + batchnorm (folded)";
    }

    /** The convolution with the norm folded in, for {@link Network#thinValues}. */
    Stage convolution() {
        return convolution;
    }

    @Override
    long[] outputShape(long[] inputShape) {
        return norm.outputShape(convolution.outputShape(inputShape));
    }

    @Override
    boolean takesChannelsLast() {
        return convolution.takesChannelsLast();
    }

    @Override
    boolean outputChannelsLast(INDArray input) {
        return convolution.outputChannelsLast(input);
    }

    @Override
    void allocate(INDArray input) {
        convolution.channelsLastAllowed = channelsLastAllowed;
        convolution.allocate(input);
        in = convolution.in;
        out = convolution.out;
        gradIn = convolution.gradIn;
    }

    @Override
    void forward() {
        convolution.forward();
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        convolution.backward(gradOut, leak);
    }

    /**
     * The gradient at the unfolded convolution's output [n, c, h, w] for {@code gradOut} at the norm's: {@code gradOut *
     * scale}, for {@link Network#backwardTo} that convolution (Grad-CAM). Its buffer is made at the first call, outside any
     * workspace; read it before the next call.
     *
     * @param convolutionOutput the unfolded convolution's output array, for its shape and layout
     */
    INDArray gradientBeforeNorm(INDArray gradOut, INDArray convolutionOutput) {
        if (!normAllocated) {
            try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                norm.allocate(convolutionOutput);
            }
            normAllocated = true;
        }
        norm.backward(gradOut, Leak.NONE);
        return norm.gradIn;
    }
}
