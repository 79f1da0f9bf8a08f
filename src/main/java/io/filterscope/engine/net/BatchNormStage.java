package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalization at inference, folded into one affine map per channel:
 * {@code out = in * scale + shift} with {@code scale = gamma / sqrt(var + eps)} and
 * {@code shift = beta - mean * scale}. Its input gradient is the output gradient times {@code scale}.
 */
final class BatchNormStage extends Stage {
    private final INDArray scale;
    private final INDArray shift;

    BatchNormStage(String layer, INDArray gamma, INDArray beta, INDArray mean, INDArray variance, double eps) {
        super(layer);
        this.scale = gamma.div(org.nd4j.linalg.ops.transforms.Transforms.sqrt(variance.add(eps), false)).reshape(-1);
        this.shift = beta.sub(mean.mul(scale.reshape(mean.shape()))).reshape(-1);
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
    void forward() {
        Nd4j.exec(new BroadcastMulOp(in, scale, out, 1));
        Nd4j.exec(new BroadcastAddOp(out, shift, out, 1));
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        Nd4j.exec(new BroadcastMulOp(gradOut, scale, gradIn, 1));
    }
}
