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
    /** The images of the network's batch that are this step's, {@code [first, first + count)}; all of them when count is -1. */
    private final int first;
    private final int count;

    /**
     * @param net  the network after its forward pass (null when only the image is read)
     * @param grey mid-grey per channel in input units, [c]: what penalties on the image measure distance from
     */
    public StepTensors(Network net, INDArray image, INDArray imageGradient, INDArray grey) {
        this(net, 0, -1, image, imageGradient, grey);
    }

    /**
     * One run's share of a network's batch that several runs fill: its images are the network's {@code [first,
     * first + image.size(0))}, and every layer's output and gradient is seen as those rows only (views), so its
     * objectives read and write nothing of the other runs'.
     */
    public static StepTensors rows(Network net, int first, INDArray image, INDArray imageGradient, INDArray grey) {
        return new StepTensors(net, first, (int) image.size(0), image, imageGradient, grey);
    }

    private StepTensors(Network net, int first, int count, INDArray image, INDArray imageGradient, INDArray grey) {
        this.net = net;
        this.first = first;
        this.count = count;
        this.image = image;
        this.imageGradient = imageGradient;
        this.grey = grey;
    }

    /** Only the network: for objectives that read layers (an image term then fails). */
    public static StepTensors of(Network net) {
        return new StepTensors(net, null, null, null);
    }

    public INDArray output(String layer) {
        return mine(net.output(layer));
    }

    public INDArray gradient(String layer) {
        return mine(net.gradient(layer));
    }

    /** Zeroes the gradients of these layers, before objectives add theirs. */
    public void clearGradients(java.util.Collection<String> layers) {
        if (count < 0) {
            net.clearGradients(layers);
        } else {
            net.clearGradients(layers, first, first + count);
        }
    }

    /** This step's rows of a batch array of the network (the array itself when they are all of it). */
    private INDArray mine(INDArray batch) {
        if (count < 0 || first == 0 && count == batch.size(0)) {
            return batch;
        }
        return Network.rows(batch, first, first + count);
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
        return (int) (count >= 0 ? count : net != null ? net.batch() : image.size(0));
    }

    private static INDArray require(INDArray a) {
        if (a == null) {
            throw new IllegalStateException("this evaluation has no image: a term on the image needs the run's tensors");
        }
        return a;
    }
}
