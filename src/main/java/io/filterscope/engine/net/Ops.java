package io.filterscope.engine.net;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The operations a {@link ModelGraph} is made of, for model readers. Maps are NCHW throughout, whatever
 * layout the file uses: a reader converts weights and axes to it. Weights are kept as given and cast to the
 * network's data type when it is compiled.
 */
public final class Ops {
    private Ops() {
    }

    /**
     * 2-D convolution, cross-correlation as in every framework.
     *
     * @param weights [out, in, kh, kw]
     * @param bias [out], or null
     * @param stride, padding, dilation: {rows, columns}; padding is ignored when {@code same}
     * @param same TensorFlow's "same" padding: output size ceil(input / stride)
     */
    public static Op conv2d(INDArray weights, INDArray bias, int[] stride, int[] padding, int[] dilation, boolean same) {
        int[] kernel = {(int) weights.size(2), (int) weights.size(3)};
        return new Op((layer, t) -> new ConvStage(layer, cast(weights, t), cast(bias, t), kernel, stride.clone(),
                padding.clone(), dilation.clone(), same));
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
        return new Op((layer, t) -> new ActivationStage(layer, alpha));
    }

    /**
     * Batch normalization at inference with its running statistics, all [channels]:
     * {@code gamma * (x - mean) / sqrt(variance + eps) + beta}, folded here into one scale and shift.
     */
    public static Op batchNorm(INDArray gamma, INDArray beta, INDArray mean, INDArray variance, double eps) {
        INDArray scale = gamma.castTo(DataType.DOUBLE).div(Transforms.sqrt(variance.castTo(DataType.DOUBLE).add(eps), false))
                .reshape(-1);
        INDArray shift = beta.castTo(DataType.DOUBLE).reshape(-1).sub(mean.castTo(DataType.DOUBLE).reshape(-1).mul(scale));
        return affine(scale, shift);
    }

    /** Per-channel affine map {@code x * scale + shift}, both [channels]. */
    public static Op affine(INDArray scale, INDArray shift) {
        return new Op((layer, t) -> new BatchNormStage(layer, cast(scale, t), cast(shift, t)));
    }

    /**
     * Max or average pooling; an average counts only the pixels inside the image.
     *
     * @param kernel, stride, padding: {rows, columns}; padding is ignored when {@code same}
     */
    public static Op pool(boolean max, int[] kernel, int[] stride, int[] padding, boolean same) {
        return new Op((layer, t) -> new PoolStage(layer, max, kernel.clone(), stride.clone(), padding.clone(), same));
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

    /** Element-wise joins of same-shaped inputs. */
    public enum Join { ADD, SUBTRACT, PRODUCT, AVERAGE }

    /** An element-wise join of its inputs (a subtraction takes two). */
    public static Op join(Join op) {
        return new Op((layer, t) -> new ElementWiseStage(layer, op));
    }

    /** Concatenation along the channels (axis 1 of NCHW maps or of rows). */
    public static Op concat() {
        return new Op((layer, t) -> new ConcatStage(layer));
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

    /**
     * Reorders each activation's axes, the batch axis staying first: out = in.permute(perm). For a reader
     * whose model reshapes values in another order than NCHW (ONNX Transpose before a Reshape).
     */
    public static Op permute(int[] perm) {
        return new Op((layer, t) -> new PermuteStage(layer, perm.clone()));
    }

    /**
     * The channels (axis 1 of maps or rows) at these indices, in this order, each at most once: a slice of the
     * channels (ONNX Slice and Split), or a permutation of them (ShuffleNet's channel shuffle).
     */
    public static Op channels(long[] indices) {
        return new Op((layer, t) -> new ChannelGatherStage(layer, indices.clone()));
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
