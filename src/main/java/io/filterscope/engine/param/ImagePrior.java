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
    /** The same values on the host, for {@link #logits} and {@link #codeGradient}: [k][pixels] and [pixels][k], row-major. */
    private final double[] hostMean;
    private final double[] hostComponents;
    private final double[] hostComponentsT;

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
        this.hostMean = this.mean.data().asDouble();
        this.hostComponents = this.components.dup('c').data().asDouble();
        this.hostComponentsT = this.components.transpose().dup('c').data().asDouble();
    }

    /**
     * {@code mean + z . components}, each row of {@code z} ([n, k]) on its own: [n, c * h * w] of z's type. Computed
     * on the host in a fixed order per row, so an image's logits never depend on the rows computed with it: a BLAS
     * product's do, its kernels changing with the row count (a row of a 30-row {@code mmul} differed in its last
     * bits from the same row alone), and runs sharing a step must get the images they get alone. 2 * n * k *
     * pixels flops; 30 codes of 64 for 28 px pictures take about 0.3 ms.
     */
    public INDArray logits(INDArray z) {
        int n = (int) z.size(0);
        int k = size();
        int pixels = hostMean.length;
        double[] codes = z.dup('c').data().asDouble();
        double[] out = new double[n * pixels];
        for (int row = 0; row < n; row++) {
            int at = row * pixels;
            System.arraycopy(hostMean, 0, out, at, pixels);
            for (int j = 0; j < k; j++) {
                double zj = codes[row * k + j];
                int from = j * pixels;
                for (int p = 0; p < pixels; p++) {
                    out[at + p] += zj * hostComponents[from + p];
                }
            }
        }
        return Nd4j.createFromArray(out).castTo(z.dataType()).reshape('c', n, pixels);
    }

    /**
     * {@code g . components^T}, each row of {@code g} ([n, c * h * w], d/d(logits)) on its own: d/dz, [n, k] of g's
     * type; row by row on the host for the reason {@link #logits} gives.
     */
    public INDArray codeGradient(INDArray g) {
        int n = (int) g.size(0);
        int k = size();
        int pixels = hostMean.length;
        double[] in = g.dup('c').data().asDouble();
        double[] out = new double[n * k];
        for (int row = 0; row < n; row++) {
            int at = row * k;
            for (int p = 0; p < pixels; p++) {
                double gp = in[row * pixels + p];
                int from = p * k;
                for (int j = 0; j < k; j++) {
                    out[at + j] += gp * hostComponentsT[from + j];
                }
            }
        }
        return Nd4j.createFromArray(out).castTo(g.dataType()).reshape('c', n, k);
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
