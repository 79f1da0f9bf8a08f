package io.filterscope.engine.param;

import io.filterscope.engine.Backend;
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
    private final PriorProducts products;

    /**
     * @param name       how messages name it (its file)
     * @param mean       the training pictures' mean logit, [c * h * w] planar
     * @param components [k, c * h * w], each principal direction times the spread along it
     */
    public ImagePrior(String name, int channels, int height, int width, INDArray mean, INDArray components) {
        this(name, channels, height, width, mean, components, Backend.name().equals("cuda"));
    }

    /** As above, with the products as ND4J ops on the device ({@code onDevice}) or as loops on the host. */
    ImagePrior(String name, int channels, int height, int width, INDArray mean, INDArray components, boolean onDevice) {
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
        this.products = onDevice ? new DevicePriorProducts(this.mean, this.components)
                : new HostPriorProducts(this.mean, this.components);
    }

    /**
     * {@code mean + z . components}, each row of {@code z} ([n, k]) on its own (see {@link PriorProducts}):
     * [n, c * h * w] of z's type.
     */
    public INDArray logits(INDArray z) {
        return products.logits(z);
    }

    /**
     * {@code g . components^T}, each row of {@code g} ([n, c * h * w], d/d(logits)) on its own: d/dz, [n, k] of g's
     * type.
     */
    public INDArray codeGradient(INDArray g) {
        return products.codeGradient(g);
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
