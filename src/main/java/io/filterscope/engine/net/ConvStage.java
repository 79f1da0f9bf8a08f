package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * 2-D convolution, NCHW, weights [out, in, kh, kw] as DL4J stores them. For stride 1 the input gradient is
 * itself a forward convolution of the output gradient with the weights transposed (in and out channels
 * swapped) and flipped, padded by dilation*(k-1)-pad: oneDNN runs that several times faster than
 * conv2d_bp, and no weight gradient is computed. Other strides fall back to conv2d_bp.
 */
final class ConvStage extends Stage {
    private final INDArray weights;
    private final INDArray bias;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final boolean same;
    private INDArray flipped;
    private DynamicCustomOp forwardOp;
    private INDArray gradW;
    private INDArray gradB;
    private INDArray sampled;
    private INDArray pointwiseGrad;

    ConvStage(String layer, INDArray weights, INDArray bias, int[] kernel, int[] stride, int[] padding,
              int[] dilation, boolean same) {
        super(layer);
        this.weights = weights;
        this.bias = bias;
        this.kernel = kernel;
        this.stride = stride;
        this.dilation = dilation;
        // "Same" with stride 1 and odd kernels is plain symmetric padding; say so explicitly so the
        // transposed-convolution gradient below applies.
        if (same && stride[0] == 1 && stride[1] == 1 && kernel[0] % 2 == 1 && kernel[1] % 2 == 1) {
            this.padding = new int[] {dilation[0] * (kernel[0] - 1) / 2, dilation[1] * (kernel[1] - 1) / 2};
            this.same = false;
        } else {
            this.padding = padding;
            this.same = same;
        }
    }

    @Override
    String kind() {
        return "conv2d " + kernel[0] + "x" + kernel[1]
                + (usesTransposedGradient() || stridedPointwise() ? "" : " (conv2d_bp gradient)");
    }

    private boolean usesTransposedGradient() {
        return !same && stride[0] == 1 && stride[1] == 1;
    }

    /**
     * A strided 1x1 convolution (ResNet's downsampling shortcut) samples every stride-th pixel, then mixes
     * channels; its input gradient is the transposed 1x1 convolution written back to the sampled pixels.
     */
    private boolean stridedPointwise() {
        return kernel[0] == 1 && kernel[1] == 1 && padding[0] == 0 && padding[1] == 0 && (stride[0] > 1 || stride[1] > 1);
    }

    @Override
    long[] outputShape(long[] s) {
        long outC = weights.size(0);
        if (same) {
            return new long[] {s[0], outC, ceilDiv(s[2], stride[0]), ceilDiv(s[3], stride[1])};
        }
        return new long[] {s[0], outC, extent(s[2], 0), extent(s[3], 1)};
    }

    private long extent(long size, int axis) {
        long effectiveKernel = (long) dilation[axis] * (kernel[axis] - 1) + 1;
        long n = (size + 2L * padding[axis] - effectiveKernel) / stride[axis] + 1;
        if (n <= 0) {
            throw new IllegalArgumentException("input of " + size + " px is too small for layer " + layer);
        }
        return n;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        INDArray[] inputs = bias == null ? new INDArray[] {in, weights} : new INDArray[] {in, weights, bias};
        forwardOp = DynamicCustomOp.builder("conv2d").addInputs(inputs).addOutputs(out)
                .addIntegerArguments(args(padding, stride, same)).build();
        if (usesTransposedGradient() || stridedPointwise()) {
            flipped = flip(weights.permute(1, 0, 2, 3).dup('c'));
        }
        if (stridedPointwise()) {
            // The other pixels' gradient is zero, and they are never written: gradIn starts zeroed.
            sampled = gradIn.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, stride[0], in.size(2)),
                    NDArrayIndex.interval(0, stride[1], in.size(3)));
            pointwiseGrad = Nd4j.create(in.dataType(), in.size(0), in.size(1), out.size(2), out.size(3));
        } else if (!usesTransposedGradient()) {
            gradW = Nd4j.create(weights.dataType(), weights.shape());
            gradB = Nd4j.create(weights.dataType(), weights.size(0));
        }
    }

    /**
     * Each kernel rotated by 180 degrees. Flipping both axes of a row-major kh x kw kernel reverses its
     * flattened order, a product with the anti-identity: exact, and seconds faster on large layers than
     * libnd4j's reverse op, which takes 5 s for ResNet50's 512x2048 1x1 weights.
     */
    private static INDArray flip(INDArray w) {
        int k = (int) (w.size(2) * w.size(3));
        if (k == 1) {
            return w;
        }
        INDArray antiIdentity = Nd4j.create(w.dataType(), k, k);
        for (int i = 0; i < k; i++) {
            antiIdentity.putScalar(i, k - 1 - i, 1);
        }
        return w.reshape('c', w.size(0) * w.size(1), k).mmul(antiIdentity).reshape('c', w.shape());
    }

    private int[] args(int[] pad, int[] step, boolean sameMode) {
        return new int[] {kernel[0], kernel[1], step[0], step[1], pad[0], pad[1], dilation[0], dilation[1],
            sameMode ? 1 : 0, 0 /* NCHW */, 1 /* weights [out, in, kh, kw] */};
    }

    @Override
    void forward() {
        Nd4j.exec(forwardOp);
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        if (usesTransposedGradient()) {
            int[] full = {dilation[0] * (kernel[0] - 1) - padding[0], dilation[1] * (kernel[1] - 1) - padding[1]};
            if (full[0] < 0 || full[1] < 0) {
                throw new IllegalStateException("padding larger than the kernel in layer " + layer);
            }
            exec("conv2d", new INDArray[] {gradOut, flipped}, new INDArray[] {gradIn}, args(full, stride, false));
        } else if (stridedPointwise()) {
            exec("conv2d", new INDArray[] {gradOut, flipped}, new INDArray[] {pointwiseGrad},
                    args(new int[] {0, 0}, new int[] {1, 1}, false));
            sampled.assign(pointwiseGrad);
        } else {
            INDArray b = bias == null ? gradB.like() : bias;
            exec("conv2d_bp", new INDArray[] {in, weights, b, gradOut}, new INDArray[] {gradIn, gradW, gradB},
                    args(padding, stride, same));
        }
    }
}
