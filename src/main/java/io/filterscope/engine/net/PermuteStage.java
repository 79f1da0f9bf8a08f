package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reorders the axes of each activation (batch stays first): out = in.permute(perm), copied into c-order. Its
 * input gradient is the output gradient permuted back. Readers use it only where a model's own reshape needs
 * its values in another order than NCHW.
 */
final class PermuteStage extends Stage {
    private final int[] perm;
    private final int[] inverse;

    PermuteStage(String layer, int[] perm) {
        super(layer);
        if (perm.length == 0 || perm[0] != 0) {
            throw new IllegalArgumentException("a permutation must keep the batch axis first: " + java.util.Arrays.toString(perm));
        }
        this.perm = perm.clone();
        this.inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
        }
    }

    @Override
    String kind() {
        return "permute " + java.util.Arrays.toString(perm);
    }

    @Override
    long[] outputShape(long[] s) {
        if (s.length != perm.length) {
            throw new IllegalStateException("layer " + layer + " permutes " + perm.length + " axes, got rank " + s.length);
        }
        long[] out = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[perm[i]];
        }
        return out;
    }

    @Override
    void forward() {
        out.assign(in.permute(perm));
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        gradIn.assign(gradOut.permute(inverse));
    }
}
