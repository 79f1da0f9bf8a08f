package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Cropping of the maps' borders (top, bottom, left, right pixels); the gradient is zero on the cropped border. */
final class CropStage extends Stage {
    private final int[] crop;
    private INDArray kept;
    private INDArray keptGrad;

    CropStage(String layer, int[] crop) {
        super(layer);
        this.crop = crop.clone();
    }

    @Override
    String kind() {
        return "crop " + crop[0] + "," + crop[1] + "," + crop[2] + "," + crop[3];
    }

    @Override
    long[] outputShape(long[] s) {
        long h = s[2] - crop[0] - crop[1];
        long w = s[3] - crop[2] - crop[3];
        if (h <= 0 || w <= 0) {
            throw new IllegalArgumentException("input is too small for layer " + layer + "'s cropping");
        }
        return new long[] {s[0], s[1], h, w};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        INDArrayIndex[] inside = {NDArrayIndex.all(), NDArrayIndex.all(),
            NDArrayIndex.interval(crop[0], input.size(2) - crop[1]), NDArrayIndex.interval(crop[2], input.size(3) - crop[3])};
        kept = in.get(inside);
        // The border of gradIn is never written, so it stays zero.
        keptGrad = gradIn.get(inside);
    }

    @Override
    void forward() {
        out.assign(kept);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        keptGrad.assign(gradOut);
    }
}
