package io.filterscope.engine.param;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
    /** [c * h * w, k], the transpose laid out row-major, for {@link #codeGradient}. */
    private final INDArray componentsT;

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
        this.componentsT = this.components.transpose().dup('c');
    }

    /**
     * {@code mean + z . components}, each row of {@code z} ([n, k]) on its own: [n, c * h * w] of z's type. One
     * vector-matrix product per row on z's device, so a row's logits never depend on the rows computed with it: a
     * single product of all rows does (the BLAS picks other kernels by row count; a row of a 30-row {@code mmul}
     * differed in its last bits from the same row alone), and runs sharing a step must get the images they get
     * alone. No copy crosses to the host, so under CUDA the products stay on the GPU. On CPU each product is a native
     * call of some tens of microseconds: 2n calls a step for n runs sharing a prior (docs/performance.md, "The
     * prior's products on the device"). The result is made in the current workspace, if any.
     */
    public INDArray logits(INDArray z) {
        INDArray out = Nd4j.create(z.dataType(), z.size(0), mean.length());
        eachRow(z, as(components, z), out);
        return out.addiRowVector(as(mean, z));
    }

    /**
     * {@code g . components^T}, each row of {@code g} ([n, c * h * w], d/d(logits)) on its own: d/dz, [n, k] of g's
     * type; one product per row for the reason {@link #logits} gives.
     */
    public INDArray codeGradient(INDArray g) {
        INDArray out = Nd4j.create(g.dataType(), g.size(0), size());
        eachRow(g, as(componentsT, g), out);
        return out;
    }

    /** Row i of {@code out} = row i of {@code a} times {@code b}: n products of [1, m] by [m, p], whatever n is. */
    private static void eachRow(INDArray a, INDArray b, INDArray out) {
        for (long row = 0; row < a.size(0); row++) {
            a.getRow(row, true).mmuli(b, out.getRow(row, true));
        }
    }

    /** {@code values} in {@code like}'s type (the float values themselves for float codes, as the engine's are). */
    private static INDArray as(INDArray values, INDArray like) {
        return values.dataType() == like.dataType() ? values : values.castTo(like.dataType());
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
