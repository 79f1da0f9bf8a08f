package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Mean;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalization over the channels at each position (ConvNeXt's, Keras' LayerNormalization on the
 * channel axis): {@code (x - mean) / sqrt(var + eps) * gamma + beta}, statistics over axis 1 of NCHW maps or
 * of rows. Input gradient {@code (g' - mean(g') - xhat * mean(g' xhat)) / sqrt(var + eps)} with
 * {@code g' = g * gamma}.
 */
final class LayerNormStage extends Stage {
    private final INDArray gamma;
    private final INDArray beta;
    private final double eps;
    private INDArray gammaB;
    private INDArray betaB;
    private INDArray xhat;
    private INDArray inv;
    private INDArray stat;
    private INDArray g;
    private INDArray t;

    /** @param gamma, beta [channels] or null (no scale, no offset) */
    LayerNormStage(String layer, INDArray gamma, INDArray beta, double eps) {
        super(layer);
        this.gamma = gamma;
        this.beta = beta;
        this.eps = eps;
    }

    @Override
    long parameters() {
        return (gamma == null ? 0 : gamma.length()) + (beta == null ? 0 : beta.length());
    }

    @Override
    String kind() {
        return "layernorm";
    }

    @Override
    long[] outputShape(long[] s) {
        return s;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        long[] perChannel = new long[input.rank()];
        java.util.Arrays.fill(perChannel, 1);
        perChannel[1] = input.size(1);
        gammaB = gamma == null ? null : gamma.reshape(perChannel);
        betaB = beta == null ? null : beta.reshape(perChannel);
        long[] reduced = input.shape().clone();
        reduced[1] = 1;
        inv = Nd4j.create(input.dataType(), reduced);
        stat = inv.like();
        xhat = out.like();
        g = out.like();
        t = out.like();
    }

    @Override
    void forward() {
        Nd4j.exec(new Mean(in, stat, true, 1));
        pairwise("subtract", in, stat, xhat);
        xhat.mul(xhat, t);
        Nd4j.exec(new Mean(t, inv, true, 1));
        Transforms.pow(inv.addi(eps), -0.5, false);
        pairwise("multiply", xhat, inv, xhat);
        if (gammaB != null) {
            pairwise("multiply", xhat, gammaB, out);
        } else {
            out.assign(xhat);
        }
        if (betaB != null) {
            pairwise("add", out, betaB, out);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (gammaB != null) {
            pairwise("multiply", gradOut, gammaB, g);
        } else {
            g.assign(gradOut);
        }
        Nd4j.exec(new Mean(g, stat, true, 1));
        pairwise("subtract", g, stat, gradIn);
        g.muli(xhat);
        Nd4j.exec(new Mean(g, stat, true, 1));
        pairwise("multiply", xhat, stat, t);
        gradIn.subi(t);
        pairwise("multiply", gradIn, inv, gradIn);
    }
}
