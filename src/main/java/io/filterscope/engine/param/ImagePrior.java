package io.filterscope.engine.param;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model's learned image prior: a linear decoder fitted to the model's training pictures (principal
 * components of their logits), {@code picture = sigmoid(mean + z . components)} in display [0, 1]. Its
 * components are scaled by the spread of the training pictures along them, so a latent code {@code z} of
 * independent standard normal values gives pictures like the training set's; optimizing {@code z} keeps an
 * image on (a linear approximation of) the data's manifold (Nguyen et al.'s generator prior, in its simplest
 * form). Compared by identity: one prior per loaded model.
 */
public final class ImagePrior {
    private final String name;
    private final int channels;
    private final int height;
    private final int width;
    private final INDArray mean;
    private final INDArray components;

    /**
     * @param name       how messages name it (its file)
     * @param mean       the training pictures' mean logit, [c * h * w] planar
     * @param components [k, c * h * w], each principal direction times the spread along it
     */
    public ImagePrior(String name, int channels, int height, int width, INDArray mean, INDArray components) {
        long pixels = (long) channels * height * width;
        if (mean.length() != pixels || components.rank() != 2 || components.size(1) != pixels) {
            throw new IllegalArgumentException(name + ": a prior of " + channels + "x" + height + "x" + width
                    + " pictures needs a mean of " + pixels + " values and components of that many columns");
        }
        this.name = name;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.mean = mean.reshape(1, pixels).castTo(DataType.FLOAT);
        this.components = components.castTo(DataType.FLOAT);
    }

    public String name() {
        return name;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** How many latent dimensions. */
    public int size() {
        return (int) components.size(0);
    }

    /** [1, c * h * w] */
    public INDArray mean() {
        return mean;
    }

    /** [k, c * h * w] */
    public INDArray components() {
        return components;
    }

    @Override
    public String toString() {
        return name;
    }
}
