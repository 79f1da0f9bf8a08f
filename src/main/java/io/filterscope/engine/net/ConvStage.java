package io.filterscope.engine.net;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * 2-D convolution without dilation or groups, NCHW, weights [out, in, kh, kw]. Padding that is the same on
 * both sides goes to the native op; uneven padding (TensorFlow's "same" with stride 2 on an even size, say)
 * is a zero-padded copy of the input. For stride 1 the input gradient is itself a forward convolution of the
 * output gradient with the weights transposed (in and out channels swapped) and flipped, padded by k-1-pad:
 * oneDNN runs that several times faster than conv2d_bp, and no weight gradient is computed. Other strides take
 * libnd4j's deconv2d (the transposed convolution) where its output is the input's shape, else conv2d_bp. A stride-1
 * convolution of a one-channel input (a grey image) takes its input gradient as tap columns instead ({@link TapColumns}):
 * the transposed convolution would have one output channel, which oneDNN's kernels compute at a tenth of their speed. Dilated and grouped convolutions are built on this stage ({@link DilatedConvStage},
 * {@link GroupedConvStage}); oneDNN's conv2d refuses every dilated descriptor in this libnd4j.
 * <p>
 * Asked to {@link #rectify}, where it runs as a oneDNN primitive ({@link DirectConv}) its output is {@code max(conv,
 * 0)}: the ReLU after it, which alone reads it ({@link ModelGraph}), is then done as the convolution stores its values (a
 * oneDNN post-op, {@link #rectifies}). Its backward pass is unchanged: that ReLU's stage takes the gradient through the
 * ReLU ({@link ActivationStage#readRectified}). Where libnd4j's conv2d runs, the ReLU stays a stage of its own: its relu
 * in place right after the convolution took VGG16's first layer 3.6-3.8 ms of processor time against 0.5-0.6 ms for the
 * convolution and 0.3 ms for the ReLU's stage.
 * <p>
 * A stride-1 convolution whose output is stored channels last but whose input is not (VGG16's first layer, reading the
 * network's plain input image) runs as a primitive too where the primitive wants its maps channels last: each forward
 * pass copies the input into a channels-last array of its own, and the input gradient is written into another and
 * copied back to the plain layout. libnd4j's conv2d reorders such maps itself at every call, into the same layout for
 * the same kernel, so the values are the same bit for bit; oneDNN's reorder of a 3-channel image into that order took
 * 0.7-0.8 ms at 128 px, and libnd4j's conv2d reordered the plain gradient buffer before each backward call as well.
 */
final class ConvStage extends Stage {
    private final INDArray weights;
    private final INDArray bias;
    private final int[] kernel;
    private final int[] stride;
    private final Padding padding;
    /** Resolved at allocation: {rows, columns} given to the native op, and the copy for uneven padding. */
    private int[] nativePad;
    private PadBuffer.Source padded;
    private INDArray source;
    private INDArray sourceGrad;
    private INDArray flipped;
    private DynamicCustomOp forwardOp;
    private DynamicCustomOp transposedOp;
    /** The same two convolutions as oneDNN primitives made once ({@link DirectConv}), or null where they cannot be. */
    private DirectConv direct;
    private DirectConv directTransposed;
    /** A one-channel input's gradient as a 1x1 convolution into tap columns summed on the host, or null ({@link TapColumns}). */
    private TapColumns tapColumns;
    /**
     * Channels-last arrays of the (padded) input's shape where the primitives read the input and write its gradient in
     * place of plain ones ({@link #staging}), or null where they read and write those themselves or libnd4j convolves.
     */
    private INDArray stagedSource;
    private INDArray stagedGrad;
    /** Other strides' input gradient as libnd4j's deconv2d (a transposed convolution), or null for conv2d_bp. */
    private DynamicCustomOp deconvOp;
    private INDArray gradW;
    private INDArray gradB;
    private INDArray zeroBias;
    private INDArray sampled;
    private INDArray pointwiseGrad;
    /** Whether the output is rectified ({@link #rectify}). */
    private boolean rectified;

    ConvStage(String layer, INDArray weights, INDArray bias, int[] stride, Padding padding) {
        super(layer);
        this.weights = weights;
        this.bias = bias;
        this.kernel = new int[] {(int) weights.size(2), (int) weights.size(3)};
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    long parameters() {
        return weights.length() + (bias == null ? 0 : bias.length());
    }

    /** Asks for the output {@code max(conv, 0)}, done where the convolution is a oneDNN primitive; only before {@link #allocate}. */
    void rectify() {
        rectified = true;
    }

    /** After {@link #allocate}: whether the output is {@code max(conv, 0)} ({@link #rectify}). */
    boolean rectifies() {
        return rectified;
    }

    /** Its kind, how a strided convolution's input gradient is computed (for profiles), and a ReLU it does. */
    @Override
    String description() {
        String gradient = stride[0] == 1 && stride[1] == 1 || stridedPointwise() ? ""
                : deconvOp != null ? " (deconv2d gradient)" : " (conv2d_bp gradient)";
        return kind() + gradient + (rectified ? " + relu" : "") + (stagedSource != null ? " (input copied channels last)" : "")
                + (tapColumns != null ? " (input gradient as tap columns)" : "");
    }

    @Override
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        return volume(outputShape) * weights.size(1) * kernel[0] * kernel[1];
    }

    /** "conv2d 3x3", "conv2d 7x7 stride 2" (a stride that differs by axis as "stride 2x1"). */
    @Override
    String kind() {
        return "conv2d " + kernel[0] + "x" + kernel[1] + (stride[0] == 1 && stride[1] == 1 ? ""
                : " stride " + stride[0] + (stride[1] == stride[0] ? "" : "x" + stride[1]));
    }

    /**
     * A strided 1x1 convolution (ResNet's downsampling shortcut) samples every stride-th pixel, then mixes
     * channels; its input gradient is the transposed 1x1 convolution written back to the sampled pixels.
     */
    private boolean stridedPointwise() {
        return kernel[0] == 1 && kernel[1] == 1 && (stride[0] > 1 || stride[1] > 1)
                && (padded == null || nativePad[0] == 0 && nativePad[1] == 0 && padded.copy() == null);
    }

    /**
     * A stride-1 convolution, forward and as its input gradient, takes and gives maps stored {@link ChannelsLast channels
     * last}, which oneDNN reads and writes without copying them to and from that order. Other strides keep plain maps.
     */
    @Override
    boolean takesChannelsLast() {
        return stride[0] == 1 && stride[1] == 1;
    }

    @Override
    boolean outputChannelsLast(INDArray input) {
        return takesChannelsLast();
    }

    @Override
    long[] outputShape(long[] s) {
        int[] p = padding.resolve(s[2], s[3], kernel, stride);
        return new long[] {s[0], weights.size(0), extent(s[2] + p[0] + p[1], 0), extent(s[3] + p[2] + p[3], 1)};
    }

    private long extent(long padded, int axis) {
        long n = (padded - kernel[axis]) / stride[axis] + 1;
        if (padded < kernel[axis] || n <= 0) {
            throw new IllegalArgumentException("input is too small for layer " + layer + ": its map is " + padded
                    + " px padded, its kernel " + kernel[axis] + " px");
        }
        return n;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        if (input.size(1) != weights.size(1)) {
            throw new IllegalStateException("layer " + layer + " convolves " + weights.size(1) + " channels, got " + input.size(1));
        }
        int[] p = padding.resolve(input.size(2), input.size(3), kernel, stride);
        PadBuffer.Source src = PadBuffer.Source.of(in, gradIn, p);
        nativePad = src.nativePad();
        padded = src;
        source = src.array();
        sourceGrad = src.grad();
        INDArray[] inputs = bias == null ? new INDArray[] {source, weights} : new INDArray[] {source, weights, bias};
        forwardOp = DynamicCustomOp.builder("conv2d").addInputs(inputs).addOutputs(out)
                .addIntegerArguments(args(nativePad, stride)).build();
        direct = DirectConv.of(source, weights, bias, out, stride, nativePad, rectified);
        if (direct == null) {
            stagedSource = staging(source);
            direct = stagedSource == null ? null : DirectConv.of(stagedSource, weights, bias, out, stride, nativePad, rectified);
            stagedSource = direct == null ? null : stagedSource;
        }
        rectified &= direct != null;
        boolean unitStride = stride[0] == 1 && stride[1] == 1;
        if (unitStride || stridedPointwise()) {
            flipped = flip(weights.permute(1, 0, 2, 3).dup('c'));
        }
        if (unitStride) {
            int[] full = {kernel[0] - 1 - nativePad[0], kernel[1] - 1 - nativePad[1]};
            if (full[0] < 0 || full[1] < 0) {
                throw new IllegalArgumentException("layer " + layer + " pads more than its kernel");
            }
            transposedOp = DynamicCustomOp.builder("conv2d").addInputs(gradOutPlaceholder(), flipped).addOutputs(sourceGrad)
                    .addIntegerArguments(args(full, stride)).build();
            tapColumns = TapColumns.of(weights, gradOutPlaceholder(), sourceGrad, nativePad);
            directTransposed = tapColumns != null ? null : DirectConv.of(gradOutPlaceholder(), flipped, null, sourceGrad, stride, full, false);
            if (directTransposed == null && tapColumns == null) {
                stagedGrad = staging(sourceGrad);
                directTransposed = stagedGrad == null ? null : DirectConv.of(gradOutPlaceholder(), flipped, null, stagedGrad, stride, full, false);
                stagedGrad = directTransposed == null ? null : stagedGrad;
            }
        } else if (stridedPointwise()) {
            // The other pixels' gradient is zero, and they are never written: gradIn starts zeroed.
            sampled = gradIn.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, stride[0], in.size(2)),
                    NDArrayIndex.interval(0, stride[1], in.size(3)));
            pointwiseGrad = Nd4j.create(in.dataType(), in.size(0), in.size(1), out.size(2), out.size(3));
        } else if (transposedFits()) {
            // deconv2d reads weights [in, out, kh, kw] as its own [in, out]: this convolution's [out, in] as they are.
            deconvOp = DynamicCustomOp.builder("deconv2d").addInputs(gradOutPlaceholder(), weights).addOutputs(sourceGrad)
                    .addIntegerArguments(args(nativePad, stride)).build();
        } else {
            gradW = Nd4j.create(weights.dataType(), weights.shape());
            gradB = Nd4j.create(weights.dataType(), weights.size(0));
            zeroBias = bias == null ? gradB.like() : bias;
        }
    }

    /**
     * A zeroed channels-last array of {@code plain}'s shape for a primitive to read or write in its place, where this
     * stride-1 convolution's output is stored channels last and {@code plain} (its input or the input's gradient) is
     * not, in float with oneDNN at hand; else null.
     */
    private INDArray staging(INDArray plain) {
        boolean wanted = takesChannelsLast() && ChannelsLast.is(out) && !ChannelsLast.is(plain)
                && plain.dataType() == DataType.FLOAT && OneDnn.available();
        return wanted ? ChannelsLast.create(plain.dataType(), plain.shape()) : null;
    }

    /**
     * Whether the transposed convolution of the output gradient (libnd4j's deconv2d) gives exactly the (padded) input's
     * shape: every input row and column lies in some window. Then it is the input gradient, without the weight gradient
     * that conv2d_bp computes too (MobileNetV2's first layer, 3x3 stride 2 from 3 to 32 channels at 224 px: the weight
     * gradient took 5-20 of conv2d_bp's 6-26 ms).
     */
    private boolean transposedFits() {
        for (int a = 0; a < 2; a++) {
            if ((out.size(2 + a) - 1) * stride[a] + kernel[a] - 2L * nativePad[a] != source.size(2 + a)) {
                return false;
            }
        }
        return true;
    }

    /** The transposed convolution's first input is replaced by the output gradient at each backward pass. */
    private INDArray gradOutPlaceholder() {
        return out;
    }

    /**
     * Each kernel of weights [a, b, kh, kw] rotated by 180 degrees. Flipping both axes of a row-major kh x kw
     * kernel reverses its flattened order, a product with the anti-identity: exact, and seconds faster on large
     * layers than libnd4j's reverse op, which takes 5 s for ResNet50's 512x2048 1x1 weights.
     */
    static INDArray flip(INDArray w) {
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

    private int[] args(int[] pad, int[] step) {
        return new int[] {kernel[0], kernel[1], step[0], step[1], pad[0], pad[1], 1, 1, 0 /* explicit padding */,
            0 /* NCHW */, 1 /* weights [out, in, kh, kw] */};
    }

    @Override
    void forward() {
        padded.fill(in);
        if (stagedSource != null) {
            stagedSource.assign(source);
        }
        if (direct == null || !direct.run(stagedSource != null ? stagedSource : source, out)) {
            Nd4j.exec(forwardOp);
            if (rectified) {
                INDArray y = ChannelsLast.elementwise(out)[0];
                exec("relu", new INDArray[] {y}, new INDArray[] {y}, new int[0], 0.0);
            }
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (tapColumns == null || !tapColumns.run(gradOut, sourceGrad)) {
            inputGradient(gradOut);
        }
        padded.crop(gradIn);
    }

    /** Writes the (padded) input's gradient {@code sourceGrad} by the transposed convolution or libnd4j's ops. */
    private void inputGradient(INDArray gradOut) {
        if (transposedOp != null) {
            // An output gradient stored otherwise than the output (plain where the output is channels last) goes to libnd4j.
            INDArray written = stagedGrad != null ? stagedGrad : sourceGrad;
            if (directTransposed != null && directTransposed.run(gradOut, written)) {
                if (stagedGrad != null) {
                    sourceGrad.assign(stagedGrad);
                }
            } else {
                transposedOp.setInputArgument(0, gradOut);
                Nd4j.exec(transposedOp);
            }
        } else if (stridedPointwise()) {
            exec("conv2d", new INDArray[] {gradOut, flipped}, new INDArray[] {pointwiseGrad}, args(new int[] {0, 0}, new int[] {1, 1}));
            sampled.assign(pointwiseGrad);
        } else if (deconvOp != null) {
            deconvOp.setInputArgument(0, gradOut);
            Nd4j.exec(deconvOp);
        } else {
            exec("conv2d_bp", new INDArray[] {source, weights, zeroBias, gradOut}, new INDArray[] {sourceGrad, gradW, gradB},
                    args(nativePad, stride));
        }
    }
}
