package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Zero padding around the maps (top, bottom, left, right). The border is written once, at allocation. Maps stored
 * {@link ChannelsLast channels last} are padded as NHWC arrays (a copy into rows of whole pixels), the output stored
 * the same way: MobileNetV2 pads the ReLU6 output of a channels-last convolution before each stride-2 depthwise one.
 */
final class ZeroPadStage extends Stage {
    private final int[] pad;
    private INDArrayIndex[] interior;
    private INDArray inside;
    /** Both maps channels last: the interior of the output's NHWC storage, and its index; else null. */
    private INDArrayIndex[] interiorNhwc;

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
    boolean takesChannelsLast() {
        return true;
    }

    @Override
    boolean outputChannelsLast(INDArray input) {
        return ChannelsLast.is(input);
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        INDArrayIndex rows = NDArrayIndex.interval(pad[0], pad[0] + input.size(2));
        INDArrayIndex cols = NDArrayIndex.interval(pad[2], pad[2] + input.size(3));
        interior = new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), rows, cols};
        if (ChannelsLast.is(in) && ChannelsLast.is(out)) {
            interiorNhwc = new INDArrayIndex[] {NDArrayIndex.all(), rows, cols, NDArrayIndex.all()};
            inside = ChannelsLast.storage(out).get(interiorNhwc);
        } else {
            inside = out.get(interior);
        }
    }

    @Override
    void forward() {
        inside.assign(interiorNhwc != null ? ChannelsLast.storage(in) : in);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (interiorNhwc != null && ChannelsLast.is(gradOut)) {
            ChannelsLast.storage(gradIn).assign(ChannelsLast.storage(gradOut).get(interiorNhwc));
        } else {
            gradIn.assign(gradOut.get(interior));
        }
    }
}
