package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.FiniteDifferences;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FourierImageTest {

    /**
     * Without colour mixing the image is sigmoid of Lucid's irfft2(scaled spectrum, norm="ortho") / 4: checked
     * against the inverse DFT summed term by term over the full Hermitian spectrum (each half-spectrum column
     * kx in 1..w/2-1 standing for itself and its conjugate at w - kx), for odd and even sizes.
     */
    @Test
    void imageIsTheScaledInverseRealFftOfTheSpectrum() {
        for (int[] hw : new int[][] {{7, 6}, {8, 9}, {6, 6}}) {
            int h = hw[0];
            int w = hw[1];
            int wf = w / 2 + 1;
            FourierImage image = new FourierImage(new long[] {1, 2, h, w}, DataType.DOUBLE, InputSpace.UNIT, false,
                    Start.noise(1, 1));
            INDArray spectrum = Nd4j.randn(DataType.DOUBLE, 1, 2, h, 2L * wf);
            image.parameter().assign(spectrum);
            INDArray x = image.image();
            for (int c = 0; c < 2; c++) {
                for (int y = 0; y < h; y++) {
                    for (int px = 0; px < w; px++) {
                        double sum = 0;
                        for (int ky = 0; ky < h; ky++) {
                            for (int kx = 0; kx < w; kx++) {
                                // The conjugate half: X[ky, kx] = conj(X[-ky, w - kx]).
                                boolean stored = kx < wf;
                                int sy = stored ? ky : (h - ky) % h;
                                int sx = stored ? kx : w - kx;
                                if (!stored && sx >= wf) {
                                    continue;
                                }
                                double fy = (sy <= (h - 1) / 2 ? sy : sy - h) / (double) h;
                                double scale = 1 / Math.max(Math.hypot(fy, sx / (double) w), 1.0 / Math.max(h, w));
                                double re = spectrum.getDouble(0, c, sy, sx) * scale;
                                double im = spectrum.getDouble(0, c, sy, wf + sx) * scale * (stored ? 1 : -1);
                                if (2 * sx == w || sx == 0) {
                                    // numpy's irfft keeps only the real part of the constant and Nyquist columns' sums.
                                    im = stored ? im : 0;
                                    if (!stored) {
                                        re = 0;
                                    }
                                }
                                double angle = 2 * Math.PI * ((double) ky * y / h + (double) kx * px / w);
                                sum += re * Math.cos(angle) - im * Math.sin(angle);
                            }
                        }
                        double expected = 1 / (1 + Math.exp(-sum / Math.sqrt(h * w) / 4));
                        assertEquals(expected, x.getDouble(0, c, y, px), 1e-9, "h=" + h + " w=" + w + " at " + c + "," + y + "," + px);
                    }
                }
            }
        }
    }

    @Test
    void imageStaysInsideTheInputRange() {
        InputSpace space = InputSpace.range(-2, 3);
        FourierImage image = new FourierImage(new long[] {2, 3, 16, 12}, DataType.DOUBLE, space, true, Start.noise(1, 2));
        image.parameter().assign(Nd4j.randn(DataType.DOUBLE, image.parameter().shape()).muli(1e4));
        INDArray x = image.image();
        assertTrue(x.minNumber().doubleValue() >= -2 && x.maxNumber().doubleValue() <= 3);
    }

    @Test
    void gradientMatchesFiniteDifferencesWithDecorrelatedColour() {
        assertGradientMatchesFiniteDifferences(new long[] {2, 3, 9, 8}, InputSpace.range(0, 255), 3);
    }

    @Test
    void gradientMatchesFiniteDifferencesInACaffeBgrInputSpace() {
        assertGradientMatchesFiniteDifferences(new long[] {1, 3, 6, 7}, InputSpace.CAFFE_BGR, 4);
    }

    /** The gradient of f = &lt;weights, image&gt; with respect to the Fourier parameters, decorrelated colour on. */
    private static void assertGradientMatchesFiniteDifferences(long[] shape, InputSpace space, long seed) {
        FourierImage image = new FourierImage(shape, DataType.DOUBLE, space, true, Start.noise(seed, (int) shape[0]));
        image.parameter().assign(Nd4j.randn(DataType.DOUBLE, image.parameter().shape()).muli(5));
        INDArray weights = Nd4j.randn(DataType.DOUBLE, shape);
        INDArray start = image.parameter().dup();
        java.util.function.Function<INDArray, Double> f = p -> {
            image.parameter().assign(p);
            return image.image().mul(weights).sumNumber().doubleValue();
        };
        f.apply(start);
        INDArray gradient = image.backward(weights).dup();
        FiniteDifferences.assertDirectionalDerivatives(f, start, gradient, 5, 1e-6);
    }

    @Test
    void startsAsMidGreyWithSmallVariation() {
        FourierImage image = new FourierImage(new long[] {1, 1, 28, 28}, DataType.FLOAT, InputSpace.UNIT, true, Start.noise(9, 1));
        INDArray x = image.image();
        assertEquals(0.5, x.meanNumber().doubleValue(), 0.05);
        assertTrue(x.stdNumber().doubleValue() < 0.05);
    }

    /** A start picture (Nguyen et al.'s mean-image start) comes out as itself, up to Lucid's small noise, in colour too. */
    @Test
    void startsFromTheGivenPicture() {
        for (int c : new int[] {1, 3}) {
            int h = 10;
            int w = 9;
            float[] picture = new float[c * h * w];
            Random rng = new Random(5);
            for (int j = 0; j < picture.length; j++) {
                picture[j] = 0.1f + 0.8f * rng.nextFloat();
            }
            FourierImage image = new FourierImage(new long[] {2, c, h, w}, DataType.DOUBLE, InputSpace.UNIT, true,
                    new Start(new long[] {1, 2}, new float[][] {null, picture}));
            INDArray x = image.image();
            assertEquals(0.5, x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).meanNumber().doubleValue(), 0.05);
            INDArray second = Nd4j.create(picture, new long[] {c, h, w}).castTo(DataType.DOUBLE);
            double error = x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).sub(second).amaxNumber().doubleValue();
            assertTrue(error < 0.03, "c=" + c + ": largest difference from the start picture " + error);
        }
    }
}
