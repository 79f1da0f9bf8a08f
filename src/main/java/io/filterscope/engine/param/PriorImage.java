package io.filterscope.engine.param;

import io.filterscope.UserError;
import io.filterscope.engine.RowState;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import java.util.Arrays;
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
 * <p>
 * A start picture of one flat colour is the exception: {@link io.filterscope.engine.render.AscentRun} starts from one
 * only where it excites the filter more than every example picture, so there the filter's truth is flat, and that
 * row's code is held at that colour's own distance from the mean picture, the norm of its code (its colour within
 * half a level, {@link #FLAT_EDGE}), its gradient taken along that sphere ({@link #backward}). On the sqrt(k) sphere
 * the prior draws mid-grey, a code of norm 0.8 on emoji-cnn, as black: conv5 filter 149, which answers mid-grey
 * (0.687) more than any example picture or other flat colour, ended a flat white tile at 0.587 (docs/quality.md).
 */
public final class PriorImage implements Parameterization, RowState<PriorImage> {
    private static final double SD = 0.01;
    /** How near 0 or 1 a flat start colour's logit goes: half a level of 255, where other start pictures stop at 0.02. */
    private static final double FLAT_EDGE = 0.5 / 255;
    /** How near 0 or 1 any other start picture's logit goes. */
    private static final double EDGE = 0.02;

    private final ImagePrior prior;
    private final InputSpace space;
    private final long[] shape;
    private final INDArray code;
    /** [n, 1]: each row's distance from the mean picture, sqrt(k) or its flat start colour's. */
    private final INDArray radius;
    /** [n, 1]: 1 for a row started from a flat colour, its gradient along its sphere ({@link #backward}); else 0. */
    private final INDArray flatStart;
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
        double[] radii = new double[n];
        double[] flats = new double[n];
        INDArray componentsT = start.pictures() == null ? null : prior.components().transpose();
        INDArray squares = componentsT == null ? null : prior.components().mul(prior.components()).sum(1);
        for (int i = 0; i < n; i++) {
            Random rng = start.random(i);
            for (int j = 0; j < k; j++) {
                z[i][j] = SD * rng.nextGaussian();
            }
            radii[i] = Math.sqrt(k);
            float[] picture = start.picture(i);
            if (picture != null) {
                boolean flat = flat(picture, (int) shape[1]);
                double[] projection = project(picture, flat ? FLAT_EDGE : EDGE, componentsT, squares);
                for (int j = 0; j < k; j++) {
                    z[i][j] += projection[j];
                }
                radii[i] = flat ? Math.sqrt(Arrays.stream(projection).map(v -> v * v).sum()) : radii[i];
                flats[i] = flat ? 1 : 0;
            }
        }
        code = Nd4j.create(z).castTo(dtype);
        radius = Nd4j.create(radii, new long[] {n, 1}).castTo(dtype);
        flatStart = Nd4j.create(flats, new long[] {n, 1}).castTo(dtype);
        unit = Nd4j.create(dtype, shape);
        image = Nd4j.create(dtype, shape);
        project();
    }

    private PriorImage(ImagePrior prior, InputSpace space, INDArray code, INDArray radius, INDArray flatStart, INDArray unit,
            INDArray image) {
        this.prior = prior;
        this.space = space;
        this.shape = image.shape();
        this.code = code;
        this.radius = radius;
        this.flatStart = flatStart;
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
                Nd4j.concat(0, parts.stream().map(p -> p.radius).toArray(INDArray[]::new)),
                Nd4j.concat(0, parts.stream().map(p -> p.flatStart).toArray(INDArray[]::new)),
                Nd4j.concat(0, parts.stream().map(p -> p.unit).toArray(INDArray[]::new)),
                Nd4j.concat(0, parts.stream().map(p -> p.image).toArray(INDArray[]::new))));
    }

    @Override
    public void unstack(PriorImage stacked, int first) {
        int n = (int) shape[0];
        code.assign(Network.rows(stacked.code, first, first + n));
        radius.assign(Network.rows(stacked.radius, first, first + n));
        flatStart.assign(Network.rows(stacked.flatStart, first, first + n));
        unit.assign(Network.rows(stacked.unit, first, first + n));
        image.assign(Network.rows(stacked.image, first, first + n));
    }

    /** Whether every channel of the picture (planar) is one value. */
    private static boolean flat(float[] picture, int channels) {
        int plane = picture.length / channels;
        for (int j = 0; j < picture.length; j++) {
            if (picture[j] != picture[j - j % plane]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The code whose components best match the picture's logit minus the mean (they are orthogonal), the picture's
     * values first kept {@code edge} from 0 and 1.
     */
    private double[] project(float[] picture, double edge, INDArray componentsT, INDArray squares) {
        double[] logit = new double[picture.length];
        for (int j = 0; j < logit.length; j++) {
            double p = Math.min(1 - edge, Math.max(edge, picture[j]));
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

    /**
     * The objective's gradient d/dz; for a row started from a flat colour, along its sphere: less its part along z,
     * which {@link #project} would undo. Such a row starts at its filter's truth, held at that colour's own distance
     * from the mean picture, so every outward push is undone; given to Adam, whose steps are per coordinate, that part
     * turned the steps off the sphere's own best direction: emoji-cnn's flat conv1 tiles settled 0.01 to 0.05 below
     * their colour (filter 2's magenta 9 levels short in blue, no longer its flat colour), and 0.001 to 0.006 below it
     * along the sphere. Other rows keep the whole gradient: along the sphere, fashion-cnn's conv1 filters 5 and 20,
     * conv2 10, conv3 26 and 46 and mnist-cnn's conv2 13 ended flat tiles that are not their truth (docs/quality.md).
     */
    @Override
    public INDArray backward(INDArray imageGradient) {
        INDArray g = space.displayGradient(imageGradient).muli(unit).muli(unit.rsub(1.0));
        INDArray dz = prior.codeGradient(g.reshape('c', shape[0], g.length() / shape[0]));
        INDArray radial = dz.mul(code).sum(1).reshape(code.size(0), 1).divi(code.mul(code).sum(1).reshape(code.size(0), 1).addi(1e-12));
        return dz.subi(code.mulColumnVector(radial.muli(flatStart)));
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
     * Scales each image's code to its radius: norm sqrt(k), the prior's typical distance from its mean, or its flat
     * start colour's (every code gives a valid picture: the sigmoid keeps it in range).
     */
    @Override
    public void project() {
        INDArray norms = code.norm2(1).reshape(code.size(0), 1).addi(1e-12);
        code.diviColumnVector(norms).muliColumnVector(radius);
    }

    @Override
    public InputSpace space() {
        return space;
    }
}
