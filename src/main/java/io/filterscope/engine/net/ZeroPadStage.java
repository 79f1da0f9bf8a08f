package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Zero padding around the maps (top, bottom, left, right). The border is written once, at allocation. */
final class ZeroPadStage extends Stage {
    private final int[] pad;
    private INDArrayIndex[] interior;
    private INDArray inside;

    /** @param pad top, bottom, left, right */
    ZeroPadStage(String layer, int[] pad) {
        super(layer);
        this.pad = pad.clone();
    }

    @Override
    String kind() {
        return "zeropad " + pad[0] + "," + pad[1] + "," + pad[2] + "," + pad[3];
    }

    @Override
    long[] outputShape(long[] s) {
        return new long[] {s[0], s[1], s[2] + pad[0] + pad[1], s[3] + pad[2] + pad[3]};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        interior = new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(),
            NDArrayIndex.interval(pad[0], pad[0] + input.size(2)), NDArrayIndex.interval(pad[2], pad[2] + input.size(3))};
        inside = out.get(interior);
    }

    @Override
    void forward() {
        inside.assign(in);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        gradIn.assign(gradOut.get(interior));
    }
}
