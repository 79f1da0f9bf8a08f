package io.filterscope.engine.regularizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.param.PixelImage;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.param.Start;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Regularizers checked by their effect on an image, not just by running. */
class RegularizerTest {
    private static PixelImage noisyImage(long seed) {
        PixelImage image = new PixelImage(new long[] {2, 1, 32, 32}, DataType.DOUBLE, InputSpace.UNIT, Start.noise(seed, 2));
        Nd4j.getRandom().setSeed(seed);
        image.parameter().assign(Nd4j.rand(DataType.DOUBLE, 2, 1, 32, 32));
        return image;
    }

    /** Energy of differences between neighbouring pixels: high-frequency content. */
    private static double highFrequencyEnergy(INDArray x) {
        INDArray d = x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 32))
                .sub(x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 31)));
        return d.mul(d).sumNumber().doubleValue();
    }

    @Test
    void blurLowersHighFrequencyEnergyAndKeepsTheMean() throws Exception {
        PixelImage image = noisyImage(1);
        double before = highFrequencyEnergy(image.parameter());
        double mean = image.parameter().meanNumber().doubleValue();
        new GaussianBlur(1.0, 1, 1).apply(image, null, 0);
        assertTrue(highFrequencyEnergy(image.parameter()) < 0.2 * before);
        assertEquals(mean, image.parameter().meanNumber().doubleValue(), 0.02);
    }

    @Test
    void blurOfAConstantImageIsTheSameConstantEvenAtTheEdges() {
        INDArray flat = Nd4j.valueArrayOf(new long[] {1, 3, 10, 10}, 0.7, DataType.DOUBLE);
        assertEquals(0, GaussianBlur.blur(flat, 2.0).sub(0.7).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void blurRunsOnlyEveryNthStep() throws Exception {
        PixelImage image = noisyImage(2);
        INDArray before = image.parameter().dup();
        new GaussianBlur(1.0, 4, 1).apply(image, null, 1);
        assertEquals(before, image.parameter());
        new GaussianBlur(1.0, 4, 1).apply(image, null, 3);
        assertTrue(image.parameter().sub(before).amaxNumber().doubleValue() > 0.01);
    }

    @Test
    void decayLowersTheDistanceFromGrey() throws Exception {
        PixelImage image = noisyImage(3);
        double before = image.parameter().sub(0.5).norm2Number().doubleValue();
        new L2Decay(0.8).apply(image, null, 0);
        assertEquals(0.8 * before, image.parameter().sub(0.5).norm2Number().doubleValue(), 1e-9);
    }

    @Test
    void normClippingResetsTheExpectedFractionOfPixels() throws Exception {
        PixelImage image = noisyImage(4);
        PercentileClip.byNorm(30).apply(image, null, 0);
        for (long n = 0; n < 2; n++) {
            INDArray x = image.parameter().get(org.nd4j.linalg.indexing.NDArrayIndex.point(n));
            long grey = x.eq(0.5).castTo(DataType.INT).sumNumber().longValue();
            assertEquals(Math.round(0.3 * 1024), grey, "image " + n);
        }
    }

    @Test
    void contributionClippingKeepsThePixelsThatMatter() throws Exception {
        PixelImage image = noisyImage(5);
        INDArray gradient = Nd4j.zeros(DataType.DOUBLE, 2, 1, 32, 32);
        // Only the left half of each image has any influence on the objective.
        gradient.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16)).assign(1);
        INDArray left = image.parameter().get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16)).dup();
        PercentileClip.byContribution(50).apply(image, gradient, 0);
        INDArray x = image.parameter();
        assertEquals(0, x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(16, 32)).sub(0.5)
                .amaxNumber().doubleValue(), 1e-12, "the right half contributes nothing and is reset to grey");
        assertEquals(left, x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16)));
    }

    /** An image's root-mean-square deviation from its own mean colour, per row. */
    private static double[] contrast(INDArray display) {
        long n = display.size(0);
        double[] out = new double[(int) n];
        for (int i = 0; i < n; i++) {
            INDArray row = display.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup();
            INDArray planes = row.reshape('c', row.size(0), row.length() / row.size(0));
            planes.subiColumnVector(planes.mean(1).reshape(planes.size(0), 1));
            out[i] = Math.sqrt(planes.mul(planes).meanNumber().doubleValue());
        }
        return out;
    }

    /**
     * A nearly flat colour image is raised to the floor (its deviation from its own mean colour, not from grey: a
     * saturated flat colour is far from grey and still flat), keeping its mean colour; an image above the floor is left
     * as it is, in a model space of another range and a BGR channel order.
     */
    @Test
    void contrastFloorRaisesAFlatColourImageToTheFloorAndLeavesAContrastyOneAlone() {
        InputSpace space = InputSpace.CAFFE_BGR;
        PixelImage image = new PixelImage(new long[] {2, 3, 16, 16}, DataType.DOUBLE, space, Start.noise(6, 2));
        Nd4j.getRandom().setSeed(6);
        INDArray display = Nd4j.rand(DataType.DOUBLE, 2, 3, 16, 16).muli(0.01);
        display.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0)).addi(0.7);
        display.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(2)).addi(0.2);
        display.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).assign(Nd4j.rand(DataType.DOUBLE, 3, 16, 16));
        image.parameter().assign(space.toInput(display));
        double[] before = contrast(space.toDisplay(image.image()));
        assertTrue(before[0] < 0.01 && before[1] > 0.2, "a flat and a contrasty image: " + java.util.Arrays.toString(before));
        INDArray contrasty = image.parameter().get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).dup();
        new ContrastFloor(0.08).apply(image, null, 0);
        double[] after = contrast(space.toDisplay(image.image()));
        assertEquals(0.08, after[0], 1e-3, "raised to the floor");
        INDArray shown = space.toDisplay(image.image());
        assertEquals(0.7, shown.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(0))
                .meanNumber().doubleValue(), 0.01, "its mean colour kept");
        assertEquals(contrasty, image.parameter().get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)), "the contrasty image untouched");
    }

    /**
     * A floor per row holds each flat image at its own (a gallery's filters that prefer a flat colour at the median
     * picture's contrast, the others at the 1st percentile's), repeated over the rows of runs stacked as one block;
     * floors of equal values are equal settings (runs with them may share a block), and rows that the floors do not
     * repeat over are refused.
     */
    @Test
    void contrastFloorHoldsEachRowAtItsOwnFloor() {
        PixelImage image = new PixelImage(new long[] {4, 3, 16, 16}, DataType.DOUBLE, InputSpace.UNIT, Start.noise(7, 4));
        Nd4j.getRandom().setSeed(7);
        image.parameter().assign(Nd4j.rand(DataType.DOUBLE, 4, 3, 16, 16).muli(0.01).addi(0.4));
        new ContrastFloor(new double[] {0.05, 0.2}).apply(image, null, 0);
        double[] after = contrast(image.image());
        assertEquals(0.05, after[0], 1e-3, java.util.Arrays.toString(after));
        assertEquals(0.2, after[1], 1e-3, java.util.Arrays.toString(after));
        assertEquals(0.05, after[2], 1e-3, java.util.Arrays.toString(after));
        assertEquals(0.2, after[3], 1e-3, java.util.Arrays.toString(after));
        assertEquals(new ContrastFloor(new double[] {0.05, 0.2}), new ContrastFloor(new double[] {0.05, 0.2}));
        assertEquals(new ContrastFloor(0.05), new ContrastFloor(new double[] {0.05}));
        org.junit.jupiter.api.Assertions.assertNotEquals(new ContrastFloor(new double[] {0.05, 0.2}), new ContrastFloor(0.05));
        PixelImage three = new PixelImage(new long[] {3, 3, 16, 16}, DataType.DOUBLE, InputSpace.UNIT, Start.noise(7, 3));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ContrastFloor(new double[] {0.05, 0.2}).apply(three, null, 0));
        assertTrue(e.getMessage().contains("2 rows cannot hold 3 images"), e.getMessage());
    }

    /**
     * A row at its floor (within the tolerance, a hair below it) is left exactly as it is when another row of its block
     * is raised: what a run's image gets must not depend on the runs sharing its block. Before, every row of a block took
     * each Newton pass and projection that any row needed. 64 px RGB, so that the rows' sums are large enough for
     * libnd4j to split an array's only row among threads.
     */
    @Test
    void contrastFloorMovesARowOfABlockAsItMovesItAlone() {
        Nd4j.getRandom().setSeed(8);
        INDArray start = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64).muli(0.5).addi(0.25);
        start.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).muli(0.01).addi(0.5);
        double floor = contrast(start)[0] * (1 + 5e-4);
        PixelImage block = new PixelImage(new long[] {2, 3, 64, 64}, DataType.FLOAT, InputSpace.UNIT, Start.noise(8, 2));
        block.parameter().assign(start);
        PixelImage alone = new PixelImage(new long[] {1, 3, 64, 64}, DataType.FLOAT, InputSpace.UNIT, Start.noise(8, 1));
        alone.parameter().assign(start.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1)));
        new ContrastFloor(floor).apply(block, null, 0);
        new ContrastFloor(floor).apply(alone, null, 0);
        assertEquals(floor, contrast(block.image())[1], 1e-3 * floor, "the flat row raised to the floor");
        org.junit.jupiter.api.Assertions.assertArrayEquals(alone.parameter().dup().data().asFloat(),
                block.parameter().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1)).dup().data().asFloat(),
                "the row at its floor, in the block and alone");
    }

    @Test
    void contrastFloorMustBeAboveZero() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new ContrastFloor(0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new ContrastFloor(new double[] {0.1, -1}));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new ContrastFloor(new double[0]));
    }
}
