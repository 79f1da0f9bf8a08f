package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Depthwise 2-D convolution (MobileNet, Xception, EfficientNet, ConvNeXt): each input channel c convolved
 * with its own {@code multiplier} kernels, output channel c * multiplier + j, as TensorFlow orders them.
 * Weights [channels * multiplier, 1, kh, kw] like a grouped convolution's; libnd4j's depthwise_conv2d, which
 * takes dilation natively in double precision (a dilated one in float32, which oneDNN refuses, runs on this stage's
 * undilated form through {@link DilatedConvStage}). Uneven padding is a zero-padded copy of the input.
 * <p>
 * The input gradient is itself a depthwise convolution, of the output gradient with each kernel flipped (the
 * transposed convolution): at stride s the output gradient is first spread over a zero buffer, every s-th pixel,
 * offset and bordered so that a stride-1 unpadded convolution gives the input's size; with a multiplier m the
 * m maps of each input channel are then summed. libnd4j's depthwise_conv2d_bp, which also computes the weight
 * gradient, took 45-85 ms at MobileNetV2's 56x56 and 112x112 layers on one core, the flipped forward 1-3 ms.
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
    private DynamicCustomOp forwardOp;
    /** The transposed convolution; its first input is the output gradient, or {@link #spread} at stride > 1. */
    private DynamicCustomOp transposedOp;
    /**
     * Stride > 1: the zero buffer the output gradient is spread over, stored as the output is, and its every-stride-th
     * pixels (as an NHWC view when channels last).
     */
    private INDArray spread;
    private INDArray spreadPixels;
    /** Multiplier > 1: the transposed convolution's maps [n, channels * m, h, w], seen as [n, channels, m, h, w]. */
    private INDArray perKernelMaps;

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
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        return volume(outputShape) * kernel[0] * kernel[1];
    }

    @Override
    String kind() {
        return "depthwise " + kernel[0] + "x" + kernel[1] + (dilation[0] * dilation[1] > 1 ? " dilation " + dilation[0] + "x" + dilation[1] : "");
    }

    /**
     * Maps stored {@link ChannelsLast channels last} are convolved as they lie, the output stored the same way: libnd4j
     * hands oneDNN the arrays' strides, and its depthwise kernel runs 4-5 times faster on such maps (0.27 against 1.25
     * ms at 144 x 56x56, one thread). With a multiplier above 1 the maps stay plain (their gradient's sum over each
     * channel's kernels reads them as plain arrays).
     */
    @Override
    boolean takesChannelsLast() {
        return kernelHwcm.size(3) == 1;
    }

    @Override
    boolean outputChannelsLast(INDArray input) {
        return takesChannelsLast() && ChannelsLast.is(input);
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
                .addIntegerArguments(args(stride, nativePad)).build();
        allocateTransposed();
    }

    private void allocateTransposed() {
        int[] w = window();
        int[] border = {w[0] - 1 - nativePad[0], w[1] - 1 - nativePad[1]};
        if (border[0] < 0 || border[1] < 0) {
            throw new IllegalArgumentException("layer " + layer + " pads more than its kernel");
        }
        INDArray gradOut = out;
        int[] pad = border;
        if (stride[0] > 1 || stride[1] > 1) {
            // Output pixel y came from source rows s*y - p ... s*y - p + w - 1; spread, it sits at border + s*y.
            long[] shape = {out.size(0), out.size(1), source.size(2) + w[0] - 1, source.size(3) + w[1] - 1};
            spread = ChannelsLast.is(out) ? ChannelsLast.create(out.dataType(), shape) : Nd4j.create(out.dataType(), shape);
            // Channels last, the pixels are picked from the NHWC storage: whole pixels, not a permuted view's elements.
            INDArrayIndex rows = every(border[0], stride[0], out.size(2));
            INDArrayIndex cols = every(border[1], stride[1], out.size(3));
            spreadPixels = ChannelsLast.is(spread) ? ChannelsLast.storage(spread).get(NDArrayIndex.all(), rows, cols, NDArrayIndex.all())
                    : spread.get(NDArrayIndex.all(), NDArrayIndex.all(), rows, cols);
            gradOut = spread;
            pad = new int[] {0, 0};
        }
        long channels = kernelHwcm.size(2);
        long multiplier = kernelHwcm.size(3);
        INDArray target = sourceGrad;
        if (multiplier > 1) {
            target = Nd4j.create(out.dataType(), out.size(0), out.size(1), source.size(2), source.size(3));
            perKernelMaps = target.reshape('c', out.size(0), channels, multiplier, source.size(2), source.size(3));
        }
        // Each map's kernel rotated by 180 degrees, back in libnd4j's layout [kh, kw, channels * m, 1].
        INDArray flipped = ConvStage.flip(kernelHwcm.reshape('c', kernel[0], kernel[1], channels * multiplier, 1)
                .permute(2, 3, 0, 1).dup('c')).permute(2, 3, 0, 1).dup('c');
        transposedOp = DynamicCustomOp.builder("depthwise_conv2d").addInputs(gradOut, flipped).addOutputs(target)
                .addIntegerArguments(args(new int[] {1, 1}, pad)).build();
    }

    /**
     * {@code count} indices from {@code first}, {@code step} apart. A single one is a unit interval: ND4J 1.0.0-M2.1's
     * strided interval over one index reached past it (from 1 to 4 on an axis of 3, a 1x1 map's spread output gradient).
     */
    static INDArrayIndex every(long first, int step, long count) {
        return count == 1 ? NDArrayIndex.interval(first, first + 1) : NDArrayIndex.interval(first, step, first + step * (count - 1) + 1);
    }

    private int[] args(int[] step, int[] pad) {
        return new int[] {kernel[0], kernel[1], step[0], step[1], pad[0], pad[1], dilation[0], dilation[1],
            0 /* explicit padding */, 0 /* NCHW */, 0 /* weights [kh, kw, in, multiplier] */};
    }

    @Override
    void forward() {
        padded.fill(in);
        Nd4j.exec(forwardOp);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (spread != null) {
            spreadPixels.assign(ChannelsLast.is(spread) ? gradOut.permute(0, 2, 3, 1) : gradOut);
        } else {
            transposedOp.setInputArgument(0, gradOut);
        }
        Nd4j.exec(transposedOp);
        if (perKernelMaps != null) {
            Nd4j.exec(new Sum(perKernelMaps, sourceGrad, false, 2));
        }
        padded.crop(gradIn);
    }
}
