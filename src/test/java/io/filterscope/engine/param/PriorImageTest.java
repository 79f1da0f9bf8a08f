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

    @Test
    void gradientMatchesFiniteDifferences() {
        PriorImage image = new PriorImage(new long[] {2, 2, 5, 4}, DataType.DOUBLE, InputSpace.range(0, 255), prior(), Start.noise(2, 2));
        image.parameter().assign(Nd4j.randn(DataType.DOUBLE, 2, 3));
        INDArray weights = Nd4j.randn(DataType.DOUBLE, 2, 2, 5, 4);
        INDArray start = image.parameter().dup();
        java.util.function.Function<INDArray, Double> f = p -> {
            image.parameter().assign(p);
            return image.image().mul(weights).sumNumber().doubleValue();
        };
        f.apply(start);
        INDArray gradient = image.backward(weights).dup();
        FiniteDifferences.assertDirectionalDerivatives(f, start, gradient, 5, 1e-4);
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

    @Test
    void refusesImagesOfAnotherSizeThanThePriors() {
        UserError e = assertThrows(UserError.class, () -> new PriorImage(new long[] {1, 2, 6, 4}, DataType.FLOAT, InputSpace.UNIT,
                prior(), Start.noise(1, 1)));
        assertTrue(e.getMessage().contains("5x4"), e.getMessage());
    }
}
