package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Depthwise 2-D convolution (MobileNet, Xception, EfficientNet, ConvNeXt): each input channel c convolved
 * with its own {@code multiplier} kernels, output channel c * multiplier + j, as TensorFlow orders them.
 * Weights [channels * multiplier, 1, kh, kw] like a grouped convolution's; libnd4j's depthwise_conv2d, which
 * takes dilation natively in double precision (a dilated one in float32, which oneDNN refuses, runs on this stage's
 * undilated form through {@link DilatedConvStage}). Uneven padding is a zero-padded copy of the input.
 */
final class DepthwiseConvStage extends Stage {
    private final INDArray kernelHwcm;
    private final INDArray bias;
    private final int[] kernel;
    private final int[] stride;
    private final int[] dilation;
    private final Padding padding;
    private int[] nativePad;
    private PadBuffer.Source padded;
    private INDArray source;
    private INDArray sourceGrad;
    private INDArray gradW;
    private INDArray gradB;
    private DynamicCustomOp forwardOp;
    private DynamicCustomOp backwardOp;

    /** @param weights [channels * multiplier, 1, kh, kw] */
    DepthwiseConvStage(String layer, INDArray weights, long channels, INDArray bias, int[] stride, Padding padding,
                       int[] dilation) {
        super(layer);
        long multiplier = weights.size(0) / channels;
        // libnd4j's layout: [kh, kw, channels, multiplier].
        this.kernelHwcm = weights.reshape('c', channels, multiplier, weights.size(2), weights.size(3)).permute(2, 3, 0, 1).dup('c');
        this.bias = bias;
        this.kernel = new int[] {(int) weights.size(2), (int) weights.size(3)};
        this.stride = stride;
        this.dilation = dilation;
        this.padding = padding;
    }

    @Override
    long parameters() {
        return kernelHwcm.length() + (bias == null ? 0 : bias.length());
    }

    @Override
    String kind() {
        return "depthwise " + kernel[0] + "x" + kernel[1] + (dilation[0] * dilation[1] > 1 ? " dilation " + dilation[0] + "x" + dilation[1] : "");
    }

    private int[] window() {
        return new int[] {dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1};
    }

    @Override
    long[] outputShape(long[] s) {
        if (s[1] != kernelHwcm.size(2)) {
            throw new IllegalStateException("layer " + layer + " convolves " + kernelHwcm.size(2) + " channels, got " + s[1]);
        }
        int[] p = padding.resolve(s[2], s[3], window(), stride);
        long h = s[2] + p[0] + p[1] - window()[0];
        long w = s[3] + p[2] + p[3] - window()[1];
        if (h < 0 || w < 0) {
            throw new IllegalArgumentException("input is too small for layer " + layer);
        }
        return new long[] {s[0], kernelHwcm.size(2) * kernelHwcm.size(3), h / stride[0] + 1, w / stride[1] + 1};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        int[] p = padding.resolve(input.size(2), input.size(3), window(), stride);
        PadBuffer.Source src = PadBuffer.Source.of(in, gradIn, p);
        nativePad = src.nativePad();
        padded = src;
        source = src.array();
        sourceGrad = src.grad();
        INDArray b = bias != null ? bias : Nd4j.zeros(kernelHwcm.dataType(), out.size(1));
        forwardOp = DynamicCustomOp.builder("depthwise_conv2d").addInputs(source, kernelHwcm, b).addOutputs(out)
                .addIntegerArguments(args()).build();
        gradW = kernelHwcm.like();
        gradB = b.like();
        backwardOp = DynamicCustomOp.builder("depthwise_conv2d_bp").addInputs(source, kernelHwcm, b, out)
                .addOutputs(sourceGrad, gradW, gradB).addIntegerArguments(args()).build();
    }

    private int[] args() {
        return new int[] {kernel[0], kernel[1], stride[0], stride[1], nativePad[0], nativePad[1], dilation[0], dilation[1],
            0 /* explicit padding */, 0 /* NCHW */, 0 /* weights [kh, kw, in, multiplier] */};
    }

    @Override
    void forward() {
        padded.fill(in);
        Nd4j.exec(forwardOp);
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        backwardOp.setInputArgument(3, gradOut);
        Nd4j.exec(backwardOp);
        padded.crop(gradIn);
    }
}
