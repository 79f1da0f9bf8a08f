package io.filterscope.engine.param;

import io.filterscope.UserError;
import io.filterscope.engine.RowState;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The image as a latent code of the model's {@link ImagePrior}: the parameter is {@code z}, [n, k], and the
 * image is {@code sigmoid(mean + z . components)} in display units, in the model's input space. The code is kept
 * on the sphere of radius sqrt(k) ({@link #project}), where the prior's Gaussian puts nearly all its pictures
 * (PULSE, Menon et al. 2020, constrain a generator's latent code the same way): a code of standard normal values
 * has a norm of about sqrt(k), so every image is as far from the mean picture as a training picture is, never
 * the mean picture itself, a soft blur that no picture of the data is. Near the mean, colour-sensitive filters
 * found a near-flat colour that excites them as much as any example: emoji-cnn's conv2 filters 5, 13, 16 and 35
 * stopped at codes of norm 0.7 to 2.9 (the other filters' reached 10 to 17), their tiles within 5 to 20 levels of
 * one colour (docs/quality.md). It starts in the direction of a little seeded noise (a random point of the
 * sphere: a random picture like the data), or of a start picture's code (its logit projected on the components).
 * Decay towards z = 0 therefore changes nothing: the sphere bounds how saturated a long run can get instead.
 */
public final class PriorImage implements Parameterization, RowState<PriorImage> {
    private static final double SD = 0.01;

    private final ImagePrior prior;
    private final InputSpace space;
    private final long[] shape;
    private final INDArray code;
    private final INDArray unit;
    private final INDArray image;

    /**
     * @param shape [n, c, h, w], which must be the prior's picture shape
     * @throws UserError when the images are not the size the prior was fitted at
     */
    public PriorImage(long[] shape, DataType dtype, InputSpace space, ImagePrior prior, Start start) {
        if (shape[1] != prior.channels() || shape[2] != prior.height() || shape[3] != prior.width()) {
            throw new UserError("the image prior " + prior.name() + " describes " + prior.height() + "x" + prior.width()
                    + " pictures; render at size " + prior.height() + " or use another parameterization");
        }
        this.prior = prior;
        this.space = space;
        this.shape = shape.clone();
        int n = (int) shape[0];
        int k = prior.size();
        double[][] z = new double[n][k];
        INDArray componentsT = start.pictures() == null ? null : prior.components().transpose();
        INDArray squares = componentsT == null ? null : prior.components().mul(prior.components()).sum(1);
        for (int i = 0; i < n; i++) {
            Random rng = start.random(i);
            for (int j = 0; j < k; j++) {
                z[i][j] = SD * rng.nextGaussian();
            }
            if (start.picture(i) != null) {
                double[] projection = project(start.picture(i), componentsT, squares);
                for (int j = 0; j < k; j++) {
                    z[i][j] += projection[j];
                }
            }
        }
        code = Nd4j.create(z).castTo(dtype);
        unit = Nd4j.create(dtype, shape);
        image = Nd4j.create(dtype, shape);
        project();
    }

    private PriorImage(ImagePrior prior, InputSpace space, INDArray code, INDArray unit, INDArray image) {
        this.prior = prior;
        this.space = space;
        this.shape = image.shape();
        this.code = code;
        this.unit = unit;
        this.image = image;
    }

    @Override
    public PriorImage stack(List<PriorImage> parts) {
        for (PriorImage p : parts) {
            if (p.prior != prior || !p.space.equals(space) || p.code.dataType() != code.dataType()) {
                throw new IllegalArgumentException("codes of another prior, input space or type cannot share rows");
            }
        }
        return Workspaces.persistent(() -> new PriorImage(prior, space, Nd4j.concat(0, parts.stream().map(p -> p.code).toArray(INDArray[]::new)),
                Nd4j.concat(0, parts.stream().map(p -> p.unit).toArray(INDArray[]::new)),
                Nd4j.concat(0, parts.stream().map(p -> p.image).toArray(INDArray[]::new))));
    }

    @Override
    public void unstack(PriorImage stacked, int first) {
        int n = (int) shape[0];
        code.assign(Network.rows(stacked.code, first, first + n));
        unit.assign(Network.rows(stacked.unit, first, first + n));
        image.assign(Network.rows(stacked.image, first, first + n));
    }

    /** The code whose components best match the picture's logit minus the mean (they are orthogonal). */
    private double[] project(float[] picture, INDArray componentsT, INDArray squares) {
        double[] logit = new double[picture.length];
        for (int j = 0; j < logit.length; j++) {
            double p = Math.min(0.98, Math.max(0.02, picture[j]));
            logit[j] = Math.log(p / (1 - p));
        }
        INDArray centred = Nd4j.create(logit).castTo(DataType.FLOAT).reshape(1, logit.length).subi(prior.mean());
        return centred.mmul(componentsT).divi(squares.reshape(1, squares.length())).toDoubleVector();
    }

    @Override
    public INDArray parameter() {
        return code;
    }

    @Override
    public INDArray image() {
        unit.assign(Transforms.sigmoid(prior.logits(code), false).reshape('c', shape));
        image.assign(space.toInput(unit));
        return image;
    }

    @Override
    public INDArray backward(INDArray imageGradient) {
        INDArray g = space.displayGradient(imageGradient).muli(unit).muli(unit.rsub(1.0));
        return prior.codeGradient(g.reshape('c', shape[0], g.length() / shape[0]));
    }

    @Override
    public INDArray neutral() {
        return InputSpace.vector(new double[(int) code.size(1)], code.dataType());
    }

    @Override
    public double stepScale() {
        return 1;
    }

    @Override
    public boolean isPixels() {
        return false;
    }

    /**
     * Scales each image's code to norm sqrt(k), the prior's typical distance from its mean (every code gives a
     * valid picture: the sigmoid keeps it in range).
     */
    @Override
    public void project() {
        INDArray norms = code.norm2(1).reshape(code.size(0), 1).addi(1e-12);
        code.diviColumnVector(norms).muli(Math.sqrt(code.size(1)));
    }

    @Override
    public InputSpace space() {
        return space;
    }
}
