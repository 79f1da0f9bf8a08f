package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.engine.net.FiniteDifferences;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PriorImageTest {
    /** A 3-component prior of 2x5x4 pictures with orthogonal components (disjoint pixels), as PriorFit writes them. */
    /** The picture (0-1, planar) whose code in {@code prior} is {@code code}: the sigmoid of mean plus components. */
    private static float[] pictureOf(ImagePrior prior, float... code) {
        INDArray logit = Nd4j.createFromArray(code).reshape(1, code.length).mmul(prior.components()).addi(prior.mean());
        return org.nd4j.linalg.ops.transforms.Transforms.sigmoid(logit, true).toFloatVector();
    }

    private static ImagePrior prior() {
        Nd4j.getRandom().setSeed(3);
        INDArray components = Nd4j.randn(DataType.DOUBLE, 3, 40);
        for (int r = 0; r < 3; r++) {
            for (int j = 0; j < 40; j++) {
                if (j % 3 != r) {
                    components.putScalar(r, j, 0);
                }
            }
        }
        return new ImagePrior("test.prior", 2, 5, 4, Nd4j.randn(DataType.DOUBLE, 40).muli(0.5), components);
    }

    @Test
    void imageIsTheSigmoidOfMeanPlusCodeTimesComponentsInTheInputSpace() {
        ImagePrior prior = prior();
        PriorImage image = new PriorImage(new long[] {2, 2, 5, 4}, DataType.DOUBLE, InputSpace.range(-1, 1), prior, Start.noise(1, 2));
        INDArray z = Nd4j.createFromArray(new double[][] {{0.5, -1, 2}, {0, 0, 0}});
        image.parameter().assign(z);
        INDArray x = image.image();
        for (int i = 0; i < 2; i++) {
            INDArray logit = z.getRow(i).reshape(1, 3).mmul(prior.components().castTo(DataType.DOUBLE)).addi(prior.mean().castTo(DataType.DOUBLE));
            INDArray expected = org.nd4j.linalg.ops.transforms.Transforms.sigmoid(logit, true).muli(2).subi(1);
            assertEquals(0, x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).reshape(1, 40).sub(expected).amaxNumber().doubleValue(), 1e-6, "image " + i);
        }
    }

    /**
     * The gradient is the objective's (it matches finite differences of the image of the code) for a row started from
     * a picture or noise; for a row started from a flat colour it is that gradient along the row's sphere: less its
     * part along the code, which the projection would undo. Along the sphere for every row, fashion-cnn's and
     * mnist-cnn's galleries got flat tiles that are not their filter's truth; the whole gradient for flat starts,
     * emoji-cnn's conv1 filter 2's magenta ended 9 levels short in blue (docs/quality.md).
     */
    @Test
    void onlyARowStartedFromAFlatColourHasItsGradientAlongItsSphere() {
        ImagePrior prior = prior();
        float[] grey = new float[40];
        java.util.Arrays.fill(grey, 0.5f);
        float[] other = pictureOf(prior, 0.3f, -0.2f, 0.1f);
        long[] shape = {2, 2, 5, 4};
        PriorImage mixed = new PriorImage(shape, DataType.DOUBLE, InputSpace.range(0, 255), prior,
                new Start(new long[] {1, 1}, new float[][] {grey, other}));
        PriorImage plain = new PriorImage(shape, DataType.DOUBLE, InputSpace.range(0, 255), prior,
                new Start(new long[] {1, 1}, new float[][] {other, null}));
        INDArray code = Nd4j.randn(DataType.DOUBLE, 2, 3);
        INDArray weights = Nd4j.randn(DataType.DOUBLE, shape);
        java.util.function.Function<INDArray, Double> f = p -> {
            plain.parameter().assign(p);
            return plain.image().mul(weights).sumNumber().doubleValue();
        };
        f.apply(code);
        INDArray whole = plain.backward(weights).dup();
        FiniteDifferences.assertDirectionalDerivatives(f, code, whole, 5, 1e-4);
        mixed.parameter().assign(code);
        mixed.image();
        INDArray gradient = mixed.backward(weights).dup();
        for (int i = 0; i < 2; i++) {
            INDArray g = whole.getRow(i);
            INDArray z = code.getRow(i);
            double cosine = g.mul(z).sumNumber().doubleValue() / g.norm2Number().doubleValue() / z.norm2Number().doubleValue();
            assertTrue(Math.abs(cosine) > 1e-2, "a test of a gradient with a part along the code, row " + i + ": " + cosine);
        }
        INDArray z = code.getRow(0);
        INDArray along = whole.getRow(0).sub(z.mul(whole.getRow(0).mul(z).sumNumber().doubleValue() / z.mul(z).sumNumber().doubleValue()));
        assertEquals(0, gradient.getRow(0).sub(along).amaxNumber().doubleValue(), 1e-9, "the flat start's row, along its sphere");
        assertEquals(0, gradient.getRow(0).mul(z).sumNumber().doubleValue(), 1e-9, "nothing along its code");
        assertEquals(0, gradient.getRow(1).sub(whole.getRow(1)).amaxNumber().doubleValue(), 1e-9, "the picture's row, whole");
    }

    /**
     * A picture inside the prior's span (mean plus components) at the prior's typical distance from the mean (a
     * code of norm sqrt(3)) starts as itself: its code is recovered.
     */
    @Test
    void startsFromTheCodeOfAStartPicture() {
        ImagePrior prior = prior();
        float[] picture = pictureOf(prior, 1f, -1f, 1f);
        PriorImage image = new PriorImage(new long[] {1, 2, 5, 4}, DataType.DOUBLE, InputSpace.UNIT, prior,
                new Start(new long[] {1}, new float[][] {picture}));
        INDArray x = image.image();
        double error = x.reshape(1, 40).sub(Nd4j.create(picture).castTo(DataType.DOUBLE).reshape(1, 40)).amaxNumber().doubleValue();
        assertTrue(error < 0.02, "largest difference from the start picture " + error);
    }

    /**
     * Every code is kept at norm sqrt(k), where the prior's Gaussian puts its pictures: from the start (seeded noise,
     * or a start picture nearer the mean than that) and after any update, in the code's own direction.
     */
    @Test
    void codesStayAtThePriorsTypicalDistanceFromTheMeanPicture() {
        ImagePrior prior = prior();
        float[] picture = pictureOf(prior, 0.3f, -0.2f, 0.1f);
        PriorImage image = new PriorImage(new long[] {2, 2, 5, 4}, DataType.DOUBLE, InputSpace.UNIT, prior,
                new Start(new long[] {1, 1}, new float[][] {null, picture}));
        for (int i = 0; i < 2; i++) {
            assertEquals(Math.sqrt(3), image.parameter().getRow(i).norm2Number().doubleValue(), 1e-9, "start " + i);
        }
        INDArray start = image.parameter().getRow(1).dup();
        double cosine = start.mul(Nd4j.createFromArray(0.3, -0.2, 0.1)).sumNumber().doubleValue() / Math.sqrt(3) / Math.sqrt(0.14);
        assertTrue(cosine > 0.99, "the start picture's direction: cosine " + cosine);
        image.parameter().assign(Nd4j.createFromArray(new double[][] {{0.01, 0, 0}, {30, -40, 0}}));
        image.project();
        assertEquals(0, image.parameter().sub(Nd4j.createFromArray(new double[][] {{Math.sqrt(3), 0, 0},
                {0.6 * Math.sqrt(3), -0.8 * Math.sqrt(3), 0}})).amaxNumber().doubleValue(), 1e-9);
    }

    /**
     * A start picture of one flat colour (where a filter's truth is flat) keeps that colour's own distance from the mean
     * picture, its projected code's norm, rather than sqrt(k): mid-grey, near the mean, is not pushed out to a saturated
     * picture. Another picture in the same batch still goes to sqrt(k).
     */
    @Test
    void aFlatStartColourIsHeldAtItsOwnDistanceFromTheMeanPicture() {
        ImagePrior prior = prior();
        float[] grey = new float[40];
        java.util.Arrays.fill(grey, 0.5f);
        float[] other = pictureOf(prior, 0.3f, -0.2f, 0.1f);
        PriorImage image = new PriorImage(new long[] {2, 2, 5, 4}, DataType.DOUBLE, InputSpace.UNIT, prior,
                new Start(new long[] {1, 1}, new float[][] {grey, other}));
        INDArray components = prior.components().castTo(DataType.DOUBLE);
        INDArray projection = prior.mean().castTo(DataType.DOUBLE).neg().mmul(components.transpose())
                .divi(components.mul(components).sum(1).reshape(1, 3));
        double radius = projection.norm2Number().doubleValue();
        assertTrue(Math.abs(radius - Math.sqrt(3)) > 0.1, "a test of a distance other than sqrt(3): " + radius);
        assertEquals(radius, image.parameter().getRow(0).norm2Number().doubleValue(), 1e-5, "the prior's float sums");
        double cosine = image.parameter().getRow(0).mul(projection).sumNumber().doubleValue() / radius / radius;
        assertTrue(cosine > 0.99, "grey's code: cosine " + cosine);
        assertEquals(Math.sqrt(3), image.parameter().getRow(1).norm2Number().doubleValue(), 1e-9);
        image.parameter().assign(Nd4j.createFromArray(new double[][] {{30, -40, 0}, {0, 0, 2}}));
        image.project();
        assertEquals(0, image.parameter().sub(Nd4j.createFromArray(new double[][] {{0.6 * radius, -0.8 * radius, 0},
                {0, 0, Math.sqrt(3)}})).amaxNumber().doubleValue(), 1e-5);
    }

    @Test
    void refusesImagesOfAnotherSizeThanThePriors() {
        UserError e = assertThrows(UserError.class, () -> new PriorImage(new long[] {1, 2, 6, 4}, DataType.FLOAT, InputSpace.UNIT,
                prior(), Start.noise(1, 1)));
        assertTrue(e.getMessage().contains("5x4"), e.getMessage());
    }
}
