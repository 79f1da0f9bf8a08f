package io.filterscope.engine.net;

import java.util.function.BiFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One operation of a {@link ModelGraph}: what it computes, with its settings and weights, for any batch and
 * image size. Made by the factories of {@link Ops}; each compiled {@link Network} gets stages of its own from
 * it, sharing the weights. Two kinds say more about themselves, so that a batch norm can be folded into the
 * convolution before it ({@link ModelGraph}): a convolution can give the op whose output is its own times a
 * per-channel scale plus a shift, and a per-channel affine map gives its scale and shift.
 */
public final class Op {
    private final BiFunction<String, DataType, Stage> stage;
    /** (scale, shift) [out channels] to the op computing {@code this * scale + shift} per output channel, or null. */
    private final BiFunction<INDArray, INDArray, Op> followedByAffine;
    /** A per-channel affine map's scale and shift [channels], or null for other ops. */
    private final INDArray scale;
    private final INDArray shift;

    Op(BiFunction<String, DataType, Stage> stage) {
        this(stage, null, null, null);
    }

    private Op(BiFunction<String, DataType, Stage> stage, BiFunction<INDArray, INDArray, Op> followedByAffine,
               INDArray scale, INDArray shift) {
        this.stage = stage;
        this.followedByAffine = followedByAffine;
        this.scale = scale;
        this.shift = shift;
    }

    /**
     * An op each of whose output channels is linear in its own weights and bias (a convolution), with the function
     * that scales and shifts them.
     */
    static Op channelLinear(BiFunction<String, DataType, Stage> stage, BiFunction<INDArray, INDArray, Op> followedByAffine) {
        return new Op(stage, followedByAffine, null, null);
    }

    /** A per-channel affine map {@code x * scale + shift}, scale and shift [channels]. */
    static Op affine(BiFunction<String, DataType, Stage> stage, INDArray scale, INDArray shift) {
        return new Op(stage, null, scale, shift);
    }

    /** A new stage computing this op in {@code dtype}, owned by {@code layer} (may be null). */
    Stage stage(String layer, DataType dtype) {
        return stage.apply(layer, dtype);
    }

    /** Whether this op is a per-channel affine map (an inference batch norm). */
    boolean isAffine() {
        return scale != null;
    }

    /**
     * This op followed by {@code affine} as one op (its weights and bias scaled and shifted per output channel), or
     * null when this op cannot take it in: not a convolution, or {@code affine} not a per-channel affine map of as many
     * channels as this op's output has.
     */
    Op followedBy(Op affine) {
        return followedByAffine == null || !affine.isAffine() ? null : followedByAffine.apply(affine.scale, affine.shift);
    }
}
