package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalization at inference, folded into one affine map per channel:
 * {@code out = in * scale + shift} with {@code scale = gamma / sqrt(var + eps)} and
 * {@code shift = beta - mean * scale}. Its input gradient is the output gradient times {@code scale}.
 * Both run as libnd4j's batchnorm op with mean 0 and variance 1, one pass over memory and 2-4 times
 * faster here than two broadcast ops.
 */
final class BatchNormStage extends Stage {
    private final INDArray scale;
    private final INDArray shift;
    private final INDArray zeros;
    private final INDArray ones;
    private DynamicCustomOp forwardOp;

    /** @param scale, shift [channels] */
    BatchNormStage(String layer, INDArray scale, INDArray shift) {
        super(layer);
        this.scale = scale.reshape(-1);
        this.shift = shift.reshape(-1);
        this.zeros = scale.like();
        this.ones = Nd4j.ones(scale.dataType(), scale.length());
    }

    @Override
    long parameters() {
        return scale.length() + shift.length();
    }

    @Override
    String kind() {
        return "batchnorm";
    }

    @Override
    long[] outputShape(long[] s) {
        if (s[1] != scale.length()) {
            throw new IllegalStateException("layer " + layer + " normalizes " + scale.length() + " channels, got " + s[1]);
        }
        return s;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        forwardOp = affine(in, out, true);
    }

    /** (x - 0) / sqrt(1 + 0) * scale (+ shift): the per-channel affine map, along dimension 1. */
    private DynamicCustomOp affine(INDArray x, INDArray z, boolean withShift) {
        INDArray[] inputs = withShift ? new INDArray[] {x, zeros, ones, scale, shift} : new INDArray[] {x, zeros, ones, scale};
        return DynamicCustomOp.builder("batchnorm").addInputs(inputs).addOutputs(z)
                .addIntegerArguments(1 /* apply scale */, withShift ? 1 : 0 /* apply offset */, 1 /* channel axis */)
                .addFloatingPointArguments(0.0 /* epsilon */).build();
    }

    @Override
    void forward() {
        Nd4j.exec(forwardOp);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        Nd4j.exec(affine(gradOut, gradIn, false));
    }
}
