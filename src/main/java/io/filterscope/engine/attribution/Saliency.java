package io.filterscope.engine.attribution;

import io.filterscope.engine.net.Network;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Vanilla gradient saliency (Simonyan, Vedaldi and Zisserman, "Deep Inside Convolutional Networks", 2014):
 * how strongly each pixel changes the class score, |d score / d pixel|, the largest over colour channels.
 */
public final class Saliency implements Attribution {

    @Override
    public float[][] explain(Network net, INDArray image, String output, int cls) {
        return Heatmaps.scaleToUnit(Heatmaps.maxAbsOverChannels(gradient(net, image, output, cls)));
    }

    /** d(score of cls)/d(image), [1, c, h, w]: a buffer the next backward pass reuses. */
    static INDArray gradient(Network net, INDArray image, String output, int cls) {
        Attribution.forwardAndSeed(net, image, output, cls, List.of(output));
        return net.backward(List.of(output), 0);
    }
}
