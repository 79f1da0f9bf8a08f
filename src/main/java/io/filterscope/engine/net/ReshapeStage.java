package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Changes how each image's values are laid out, in DL4J's c-order: NCHW maps to flat rows (before a dense
 * layer), or rows back to maps (a dense layer feeding a convolution).
 */
final class ReshapeStage extends Stage {
    private final long[] perImage;

    /** @param perImage target shape of one image, or null to flatten */
    ReshapeStage(long[] perImage) {
        super(null);
        this.perImage = perImage;
    }

    @Override
    String kind() {
        return perImage == null ? "flatten" : "reshape";
    }

    @Override
    long[] outputShape(long[] s) {
        long n = 1;
        for (int i = 1; i < s.length; i++) {
            n *= s[i];
        }
        if (perImage == null) {
            return new long[] {s[0], n};
        }
        long[] out = new long[perImage.length + 1];
        out[0] = s[0];
        System.arraycopy(perImage, 0, out, 1, perImage.length);
        return out;
    }

    @Override
    void forward() {
        out.assign(in.reshape('c', out.shape()));
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        gradIn.assign(gradOut.reshape('c', gradIn.shape()));
    }
}
