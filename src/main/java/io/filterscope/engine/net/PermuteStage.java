package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Reorders each image's axes (a channels-last reader's layout changes, Keras' Permute): one strided copy. */
final class PermuteStage extends Stage {
    private final int[] full;
    private final int[] perImage;

    /** @param perImage a permutation of 0 .. rank-2: output axis i is input axis perImage[i] (batch excluded) */
    PermuteStage(String layer, int[] perImage) {
        super(layer);
        this.perImage = perImage.clone();
        this.full = new int[perImage.length + 1];
        for (int i = 0; i < perImage.length; i++) {
            full[i + 1] = perImage[i] + 1;
        }
    }

    @Override
    String kind() {
        return "permute " + java.util.Arrays.toString(perImage);
    }

    @Override
    long[] outputShape(long[] s) {
        if (s.length != full.length) {
            throw new IllegalStateException("layer " + layer + " permutes " + perImage.length + " axes, got rank " + (s.length - 1));
        }
        long[] o = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            o[i] = s[full[i]];
        }
        return o;
    }

    @Override
    void forward() {
        out.assign(in.permute(full));
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        gradIn.permute(full).assign(gradOut);
    }
}
