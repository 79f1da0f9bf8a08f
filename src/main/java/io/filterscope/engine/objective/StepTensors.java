package io.filterscope.engine.objective;

import io.filterscope.engine.net.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What objectives read and write during one step (Lucid's {@code T}): every layer's output and gradient
 * (NCHW, or NC for dense layers), and the image itself before any transform, [n, c, h, w] in model input
 * units, with its own gradient, which the run adds to the one coming back through the network.
 */
public final class StepTensors {
    private final Network net;
    private final INDArray image;
    private final INDArray imageGradient;
    private final INDArray grey;

    /**
     * @param net  the network after its forward pass (null when only the image is read)
     * @param grey mid-grey per channel in input units, [c]: what penalties on the image measure distance from
     */
    public StepTensors(Network net, INDArray image, INDArray imageGradient, INDArray grey) {
        this.net = net;
        this.image = image;
        this.imageGradient = imageGradient;
        this.grey = grey;
    }

    /** Only the network: for objectives that read layers (an image term then fails). */
    public static StepTensors of(Network net) {
        return new StepTensors(net, null, null, null);
    }

    public INDArray output(String layer) {
        return net.output(layer);
    }

    public INDArray gradient(String layer) {
        return net.gradient(layer);
    }

    /** Zeroes the gradients of these layers, before objectives add theirs. */
    public void clearGradients(java.util.Collection<String> layers) {
        net.clearGradients(layers);
    }

    /** Image {@code i} alone, as a batch of one: for a term on the image that evaluates images one at a time. */
    public StepTensors one(int i) {
        return new StepTensors(null, slice(image(), i), slice(imageGradient(), i), grey);
    }

    private static INDArray slice(INDArray batch, int i) {
        return batch.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    public INDArray image() {
        return require(image);
    }

    public INDArray imageGradient() {
        return require(imageGradient);
    }

    public INDArray grey() {
        return require(grey);
    }

    /** How many images the step holds. */
    public int batch() {
        return (int) (net != null ? net.batch() : image.size(0));
    }

    private static INDArray require(INDArray a) {
        if (a == null) {
            throw new IllegalStateException("this evaluation has no image: a term on the image needs the run's tensors");
        }
        return a;
    }
}
