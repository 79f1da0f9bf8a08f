package io.filterscope.engine.net;

import java.util.function.BiFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The operations a {@link ModelGraph} is made of, for model readers. Maps are NCHW throughout, whatever
 * layout the file uses: a reader converts weights and axes to it. Weights are kept as given and cast to the
 * network's data type when it is compiled. Every op's forward pass is checked against an independent
 * reference and its input gradient by finite differences (engine/net tests).
 */
public final class Ops {
    private Ops() {
    }

    /**
     * 2-D convolution, cross-correlation as in every framework, grouped or not, dilated or not.
     *
     * @param weights [out, in / groups, kh, kw]; out must be a multiple of {@code groups}
     * @param bias [out], or null
     * @param stride, dilation: {rows, columns}
     * @param groups 1 for a plain convolution; the number of input channels with one input channel per group
     *               for a depthwise convolution (out = channels * multiplier, output channel c * multiplier + j)
     */
    public static Op conv2d(INDArray weights, INDArray bias, int[] stride, Padding padding, int[] dilation, int groups) {
        if (groups < 1 || weights.size(0) % groups != 0) {
            throw new IllegalArgumentException(weights.size(0) + " filters do not split into " + groups + " groups");
        }
        int[] s = stride.clone();
        int[] d = dilation.clone();
        boolean dilated = d[0] > 1 || d[1] > 1;
        int[] kernel = {(int) weights.size(2), (int) weights.size(3)};
        int[] one = {1, 1};
        BiFunction<String, DataType, Stage> stage;
        if (groups > 1 && weights.size(1) == 1) {
            stage = (layer, t) -> dilated
                    ? new DilatedConvStage(layer, new DepthwiseConvStage(null, cast(weights, t), groups, cast(bias, t), one, Padding.valid(), one),
                            kernel, s, padding, d)
                    : new DepthwiseConvStage(layer, cast(weights, t), groups, cast(bias, t), s, padding, one);
        } else if (groups > 1) {
            stage = (layer, t) -> new GroupedConvStage(layer, cast(weights, t), cast(bias, t), groups,
                    (w, b) -> dilated ? new DilatedConvStage(null, new ConvStage(null, w, b, one, Padding.valid()), kernel, s, padding, d)
                            : new ConvStage(null, w, b, s, padding));
        } else {
            stage = (layer, t) -> dilated
                    ? new DilatedConvStage(layer, new ConvStage(null, cast(weights, t), cast(bias, t), one, Padding.valid()), kernel, s, padding, d)
                    : new ConvStage(layer, cast(weights, t), cast(bias, t), s, padding);
        }
        return Op.channelLinear(stage, (scale, shift) -> scale.length() != weights.size(0) ? null
                : conv2d(scaledFilters(weights, scale), shiftedBias(bias, scale, shift, weights.dataType()), s, padding, d, groups));
    }

    /** weights [out, ...] with output channel o's weights times scale[o] (computed in double, kept in the weights' type). */
    private static INDArray scaledFilters(INDArray weights, INDArray scale) {
        INDArray rows = weights.castTo(DataType.DOUBLE).reshape('c', weights.size(0), -1);
        return rows.mulColumnVector(scale.castTo(DataType.DOUBLE).reshape(weights.size(0), 1)).reshape('c', weights.shape())
                .castTo(weights.dataType());
    }

    /** {@code bias * scale + shift} per output channel (bias null: the shift), computed in double, kept in {@code type}. */
    private static INDArray shiftedBias(INDArray bias, INDArray scale, INDArray shift, DataType type) {
        INDArray s = shift.castTo(DataType.DOUBLE).reshape(-1);
        INDArray b = bias == null ? s : bias.castTo(DataType.DOUBLE).reshape(-1).mul(scale.castTo(DataType.DOUBLE).reshape(-1)).add(s);
        return b.castTo(type);
    }

    /**
     * 2-D convolution with symmetric padding {rows, columns}, or TensorFlow's "same" when {@code same} (then
     * padding is ignored): the DL4J reader's form of {@link #conv2d(INDArray, INDArray, int[], Padding, int[], int)}.
     */
    public static Op conv2d(INDArray weights, INDArray bias, int[] stride, int[] padding, int[] dilation, boolean same) {
        return conv2d(weights, bias, stride, same ? Padding.same() : Padding.symmetric(padding), dilation, 1);
    }

    /** Fully connected layer on rows: out = in . weights + bias, weights [nIn, nOut], bias [nOut] or null. */
    public static Op dense(INDArray weights, INDArray bias) {
        return new Op((layer, t) -> new DenseStage(layer, cast(weights, t), cast(bias, t)));
    }

    /** ReLU. */
    public static Op relu() {
        return leakyRelu(0);
    }

    /** Leaky ReLU with this slope for negative inputs (0: a ReLU). */
    public static Op leakyRelu(double alpha) {
        return relu(Double.POSITIVE_INFINITY, alpha, 0);
    }

    /**
     * The ReLU family as Keras' ReLU layer defines it: {@code min(x, max)} for {@code x >= threshold}, else
     * {@code slope * (x - threshold)}. ReLU6 is {@code relu(6, 0, 0)}.
     *
     * @param max the cap, or {@code Double.POSITIVE_INFINITY} for none; must exceed the threshold
     */
    public static Op relu(double max, double slope, double threshold) {
        if (!(max > threshold)) {
            throw new IllegalArgumentException("ReLU max " + max + " must exceed its threshold " + threshold);
        }
        return new Op((layer, t) -> new ActivationStage(layer, max, slope, threshold));
    }

    /** Element-wise activations other than the ReLU family. */
    public enum Activation {
        /** 1 / (1 + e^-x) */
        SIGMOID,
        TANH,
        /** x for x > 0, else alpha (e^x - 1) */
        ELU,
        /** 1.0507 * elu(x, 1.67326): Klambauer et al.'s constants */
        SELU,
        /** clip(alpha x + beta, 0, 1): Keras 2 and ONNX use alpha 0.2, beta 0.5; Keras 3 and PyTorch 1/6, 1/2 */
        HARD_SIGMOID,
        /** x * sigmoid(x), also called SiLU */
        SWISH,
        /** x * clip(x / 6 + 1/2, 0, 1) (MobileNetV3) */
        HARD_SWISH,
        /** x * Phi(x) with the exact normal distribution function (erf) */
        GELU,
        /** GELU's tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
        GELU_TANH,
        /** log(1 + e^x) */
        SOFTPLUS,
        /** x / (1 + |x|) */
        SOFTSIGN
    }

    /** An activation without parameters (for ELU alpha 1, for the hard sigmoid Keras 2's 0.2x + 0.5). */
    public static Op activation(Activation fn) {
        return switch (fn) {
            case ELU -> elu(1);
            case HARD_SIGMOID -> hardSigmoid(0.2, 0.5);
            default -> new Op((layer, t) -> new PointwiseStage(layer, fn, 0, 0));
        };
    }

    /** ELU with this alpha. */
    public static Op elu(double alpha) {
        return new Op((layer, t) -> new PointwiseStage(layer, Activation.ELU, alpha, 0));
    }

    /** {@code clip(alpha * x + beta, 0, 1)}. */
    public static Op hardSigmoid(double alpha, double beta) {
        return new Op((layer, t) -> new PointwiseStage(layer, Activation.HARD_SIGMOID, alpha, beta));
    }

    /** Parametric ReLU: {@code alpha * x} for negative x, alpha per image broadcastable to [c, h, w] (or [units]). */
    public static Op prelu(INDArray alpha) {
        return new Op((layer, t) -> new PReluStage(layer, cast(alpha, t)));
    }

    /** Softmax over the channels (axis 1 of maps or rows). */
    public static Op softmax() {
        return new Op((layer, t) -> new SoftmaxStage(layer));
    }

    /**
     * Batch normalization at inference with its running statistics, all [channels]:
     * {@code gamma * (x - mean) / sqrt(variance + eps) + beta}, folded here into one scale and shift.
     * A layer without scale or offset passes ones or zeros.
     */
    public static Op batchNorm(INDArray gamma, INDArray beta, INDArray mean, INDArray variance, double eps) {
        INDArray scale = gamma.castTo(DataType.DOUBLE).div(Transforms.sqrt(variance.castTo(DataType.DOUBLE).add(eps), false))
                .reshape(-1);
        INDArray shift = beta.castTo(DataType.DOUBLE).reshape(-1).sub(mean.castTo(DataType.DOUBLE).reshape(-1).mul(scale));
        return affine(scale, shift);
    }

    /** Per-channel affine map {@code x * scale + shift}, both [channels], on maps or rows. */
    public static Op affine(INDArray scale, INDArray shift) {
        return Op.affine((layer, t) -> new BatchNormStage(layer, cast(scale, t), cast(shift, t)), scale, shift);
    }

    /** {@code x * scale + offset} with the same numbers for every value (Keras' Rescaling). */
    public static Op scale(double scale, double offset) {
        return new Op((layer, t) -> new ScaleStage(layer, scale, offset));
    }

    /**
     * Layer normalization over the channels at each position (axis 1 of maps or rows), with optional
     * per-channel {@code gamma} and {@code beta} [channels] (null when left out).
     */
    public static Op layerNorm(INDArray gamma, INDArray beta, double eps) {
        return new Op((layer, t) -> new LayerNormStage(layer, cast(gamma, t), cast(beta, t), eps));
    }

    /**
     * Max or average pooling; an average counts only the pixels inside the image, as TensorFlow does.
     *
     * @param kernel, stride, padding: {rows, columns}; padding is ignored when {@code same}
     */
    public static Op pool(boolean max, int[] kernel, int[] stride, int[] padding, boolean same) {
        return pool(max, kernel, stride, same ? Padding.same() : Padding.symmetric(padding), false, false);
    }

    /**
     * Max or average pooling with any padding.
     *
     * @param countPadding whether an average divides by the padded pixels too (ONNX count_include_pad=1,
     *                     PyTorch's default) or only by the pixels inside the image (TensorFlow, Keras)
     * @param ceilMode whether the output size rounds up (ONNX, PyTorch ceil_mode)
     */
    public static Op pool(boolean max, int[] kernel, int[] stride, Padding padding, boolean countPadding, boolean ceilMode) {
        int[] k = kernel.clone();
        int[] s = stride.clone();
        return new Op((layer, t) -> new PoolStage(layer, max, k, s, padding, countPadding, ceilMode));
    }

    /** Kinds of global pooling. */
    public enum GlobalPool { AVG, SUM, MAX }

    /** Pools each whole map: [n, c, h, w] to [n, c], or [n, c, 1, 1] with {@code keepDims}. */
    public static Op globalPool(GlobalPool type, boolean keepDims) {
        return new Op((layer, t) -> new GlobalPoolStage(layer, type, !keepDims));
    }

    /** Zero padding, in pixels: top, bottom, left, right. */
    public static Op zeroPad(int[] pad) {
        return new Op((layer, t) -> new ZeroPadStage(layer, pad));
    }

    /** Cropping, in pixels: top, bottom, left, right. */
    public static Op crop(int[] crop) {
        return new Op((layer, t) -> new CropStage(layer, crop));
    }

    /** How resizing interpolates. */
    public enum Interpolation { NEAREST, BILINEAR }

    /**
     * Where output pixel i samples the input: HALF_PIXEL (i + 0.5) / scale - 0.5 (TensorFlow 2, Keras,
     * PyTorch's align_corners=False), ASYMMETRIC i / scale (TensorFlow 1 and TF.js), ALIGN_CORNERS
     * i (in - 1) / (out - 1).
     */
    public enum Coordinates { HALF_PIXEL, ASYMMETRIC, ALIGN_CORNERS }

    /** Resizing of the maps by these factors {rows, columns}; the output is floor(size * factor). */
    public static Op resize(double[] scale, Interpolation interpolation, Coordinates coordinates) {
        return new Op((layer, t) -> new ResizeStage(layer, scale, interpolation, coordinates));
    }

    /** Element-wise joins of inputs of one rank, broadcasting axes of size 1. */
    public enum Join { ADD, SUBTRACT, PRODUCT, AVERAGE, MAX, MIN }

    /** An element-wise join of its inputs (a subtraction takes two). */
    public static Op join(Join op) {
        return new Op((layer, t) -> new ElementWiseStage(layer, op));
    }

    /** Concatenation along the channels (axis 1 of NCHW maps or of rows). */
    public static Op concat() {
        return concat(1);
    }

    /** Concatenation along {@code axis} of the whole tensor (1 channels, 2 rows, 3 columns of NCHW maps). */
    public static Op concat(int axis) {
        return new Op((layer, t) -> new ConcatStage(layer, axis));
    }

    /** Flattens each image's NCHW maps into one row in c-order (channel, height, width). */
    public static Op flatten() {
        return new Op((layer, t) -> ReshapeStage.flatten(layer, false));
    }

    /** Flattens each image's maps into one row ordered height, width, channel, as channels-last models do. */
    public static Op flattenChannelsLast() {
        return new Op((layer, t) -> ReshapeStage.flatten(layer, true));
    }

    /** Reshapes each image's values, in c-order, to {@code perImage} (e.g. [c, h, w] for rows into maps). */
    public static Op reshape(long[] perImage) {
        return new Op((layer, t) -> ReshapeStage.to(layer, perImage.clone()));
    }

    /** Reorders each image's axes: output axis i is input axis {@code perImage[i]} (batch not counted). */
    public static Op permute(int... perImage) {
        return new Op((layer, t) -> new PermuteStage(layer, perImage));
    }

    /**
     * The channels (axis 1 of maps or rows) at these indices, in this order, each at most once: a slice of the
     * channels (ONNX Slice and Split), or a permutation of them (ShuffleNet's channel shuffle).
     */
    public static Op channels(long[] indices) {
        return new Op((layer, t) -> new ChannelGatherStage(layer, indices.clone()));
    }

    /**
     * 2-D transposed convolution (the input gradient of a convolution, run forward; PyTorch's ConvTranspose2d).
     *
     * @param weights [in, out, kh, kw]
     * @param bias [out], or null
     * @param padding {rows, columns} removed from both sides of the output
     */
    public static Op convTranspose2d(INDArray weights, INDArray bias, int[] stride, int[] padding) {
        int[] s = stride.clone();
        int[] p = padding.clone();
        return new Op((layer, t) -> new ConvTransposeStage(layer, cast(weights, t), cast(bias, t), s, p));
    }

    /**
     * Local response normalization across channels (AlexNet, GoogLeNet; ONNX LRN):
     * {@code x_c / (bias + alpha / size * sum of squares over size channels around c)^beta}.
     */
    public static Op lrn(int size, double alpha, double beta, double bias) {
        return new Op((layer, t) -> new LrnStage(layer, size, alpha, beta, bias));
    }

    private static INDArray cast(INDArray w, DataType t) {
        return w == null || w.dataType() == t ? w : w.castTo(t);
    }
}
