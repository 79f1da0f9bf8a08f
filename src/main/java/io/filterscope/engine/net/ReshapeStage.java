package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Changes how each image's values are laid out, in DL4J's c-order: NCHW maps to flat rows (before a dense
 * layer), or rows back to maps (a dense layer feeding a convolution). A channels-last flatten (Keras'
 * Flatten of a TensorFlow model, DL4J's NHWC CnnToFeedForward) orders the row by height, width, then
 * channel, as the following dense layer's weights expect; the maps themselves stay NCHW throughout.
 */
final class ReshapeStage extends Stage {
    private final long[] perImage;
    private final boolean channelsLast;

    private ReshapeStage(String layer, long[] perImage, boolean channelsLast) {
        super(layer);
        this.perImage = perImage;
        this.channelsLast = channelsLast;
    }

    /** Flattens each image into a row: NCHW maps in c-order, or in NHWC order when {@code channelsLast}. */
    static ReshapeStage flatten(String layer, boolean channelsLast) {
        return new ReshapeStage(layer, null, channelsLast);
    }

    /** Reshapes each image's values, in c-order, to {@code perImage}. */
    static ReshapeStage to(String layer, long[] perImage) {
        return new ReshapeStage(layer, perImage, false);
    }

    @Override
    String kind() {
        return perImage == null ? channelsLast ? "flatten (channels last)" : "flatten" : "reshape";
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
        if (channelsLast && in.rank() == 4) {
            // out viewed as [n, h, w, c] takes the maps permuted to that order: no temporary copy.
            out.reshape('c', in.size(0), in.size(2), in.size(3), in.size(1)).assign(in.permute(0, 2, 3, 1));
        } else {
            out.assign(in.reshape('c', out.shape()));
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (channelsLast && in.rank() == 4) {
            gradIn.permute(0, 2, 3, 1).assign(gradOut.reshape('c', in.size(0), in.size(2), in.size(3), in.size(1)));
        } else {
            gradIn.assign(gradOut.reshape('c', gradIn.shape()));
        }
    }
}
