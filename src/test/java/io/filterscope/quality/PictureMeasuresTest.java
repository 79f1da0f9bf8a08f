package io.filterscope.quality;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.IntBinaryOperator;
import org.junit.jupiter.api.Test;

/** The picture measures on pictures whose answers are known in closed form. */
class PictureMeasuresTest {
    private static final int S = 16;

    /** A grey S x S picture from a function of (y, x). */
    static float[] picture(java.util.function.BiFunction<Integer, Integer, Double> f) {
        float[] p = new float[S * S];
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                p[y * S + x] = (float) (double) f.apply(y, x);
            }
        }
        return p;
    }

    static final float[] FLAT = picture((y, x) -> 0.4);
    static final float[] CHECKERBOARD = picture((y, x) -> (double) ((x + y) % 2));
    static final float[] RAMP = picture((y, x) -> x / (S - 1.0));

    /** A cosine of {@code ky} and {@code kx} cycles across the picture, around 0.5. */
    private static float[] wave(int ky, int kx) {
        return picture((y, x) -> 0.5 + 0.4 * Math.cos(2 * Math.PI * (ky * y + kx * x) / S));
    }

    @Test
    void neighbourDifferenceIsZeroFlatOneOnACheckerboardAndTheStepOnARamp() {
        assertEquals(0, PictureMeasures.neighbourDifference(FLAT, 1, S, S), 0);
        assertEquals(1, PictureMeasures.neighbourDifference(CHECKERBOARD, 1, S, S), 1e-12);
        // S (S - 1) horizontal steps of 1 / (S - 1), and S (S - 1) vertical steps of 0.
        assertEquals(0.5 / (S - 1), PictureMeasures.neighbourDifference(RAMP, 1, S, S), 1e-7);
        Random rng = new Random(3);
        float[] saltAndPepper = picture((y, x) -> rng.nextBoolean() ? 1.0 : 0.0);
        assertEquals(0.5, PictureMeasures.neighbourDifference(saltAndPepper, 1, S, S), 0.05);
    }

    @Test
    void aFlatTileIsMostlyItsMedianColourWhateverItsRimOrSpecks() {
        assertTrue(PictureMeasures.flat(FLAT, 1, S, S, PictureMeasures.FLAT_SHARE));
        // White with a black rim (what a clipped conv1 tile looks like): most pixels are still the median.
        assertTrue(PictureMeasures.flat(picture((y, x) -> x == 0 || y == S - 1 ? 0.0 : 1.0), 1, S, S, PictureMeasures.FLAT_SHARE));
        // 7 of 255 levels of noise is still flat; 9 is not, pixel by pixel.
        assertTrue(PictureMeasures.flat(picture((y, x) -> 0.5 + (x % 2) * 7 / 255.0), 1, S, S, PictureMeasures.FLAT_SHARE));
        assertEquals(0.5, PictureMeasures.nearMedianShare(picture((y, x) -> 0.5 + (x % 2) * 9 / 255.0), 1, S, S, 8), 1e-9);
        assertEquals(0.5, PictureMeasures.nearMedianShare(CHECKERBOARD, 1, S, S, 8), 0);
        assertTrue(!PictureMeasures.flat(CHECKERBOARD, 1, S, S, PictureMeasures.FLAT_SHARE), "half black, half white");
        assertTrue(!PictureMeasures.flat(RAMP, 1, S, S, PictureMeasures.FLAT_SHARE), "a ramp across the tile");
        assertTrue(!PictureMeasures.flat(picture((y, x) -> y % 4 < 1 ? 0.0 : 0.5 + 0.1 * (x % 3)), 1, S, S, PictureMeasures.FLAT_SHARE), "stripes");
        // Colour: a pixel is near only if every channel is.
        float[] rgb = new float[3 * S * S];
        for (int i = 0; i < S * S; i++) {
            rgb[i] = 1;
            rgb[2 * S * S + i] = i % 4 == 0 ? 0 : 1;
        }
        assertEquals(0.75, PictureMeasures.nearMedianShare(rgb, 3, S, S, 8), 1e-9);
    }

    /** Digit-like pictures (a sixteenth of each bright) are 15/16 near their median: the limit follows the model's pictures. */
    @Test
    void flatLimitIsTheModelPicturesNinetyNinthPercentileAndNeverBelowHalf() {
        float[] digit = picture((y, x) -> y % 8 == 0 && x % 2 == 0 ? 1.0 : 0.0);
        float[][] digits = new float[100][];
        java.util.Arrays.fill(digits, digit);
        assertEquals(1 - 1.0 / 16, PictureMeasures.flatLimit(digits, 1, S, S), 1e-9);
        assertTrue(!PictureMeasures.flat(digit, 1, S, S, PictureMeasures.flatLimit(digits, 1, S, S)), "no flatter than the data");
        assertTrue(PictureMeasures.flat(FLAT, 1, S, S, PictureMeasures.flatLimit(digits, 1, S, S)));
        assertEquals(PictureMeasures.FLAT_SHARE, PictureMeasures.flatLimit(new float[][] {CHECKERBOARD, RAMP}, 1, S, S), 0);
        assertEquals(PictureMeasures.FLAT_SHARE, PictureMeasures.flatLimit(null, 1, S, S), 0);
    }

    @Test
    void contrastIsTheStandardDeviationOfTheValues() {
        assertEquals(0, PictureMeasures.contrast(FLAT), 1e-7);
        assertEquals(0.5, PictureMeasures.contrast(CHECKERBOARD), 1e-12);
        // A uniform ramp of S steps over [0, 1]: sqrt((S^2 - 1) / 12) / (S - 1).
        assertEquals(Math.sqrt((S * S - 1) / 12.0) / (S - 1), PictureMeasures.contrast(RAMP), 1e-6);
    }

    @Test
    void highFrequencyShareCountsPowerAboveTheCutoffByRadialFrequency() {
        double cut = PictureMeasures.HIGH_FREQUENCY;
        assertEquals(0, PictureMeasures.highFrequencyShare(FLAT, 1, S, S, cut), 0);
        assertEquals(1, PictureMeasures.highFrequencyShare(CHECKERBOARD, 1, S, S, cut), 1e-9);
        assertEquals(0, PictureMeasures.highFrequencyShare(wave(0, 1), 1, S, S, cut), 1e-9, "1/16 cycle per px is low");
        assertEquals(1, PictureMeasures.highFrequencyShare(wave(4, 0), 1, S, S, cut), 1e-9, "1/4 cycle per px is high");
        // 1/8 along each axis is not above 1/8, but the diagonal wave's frequency is hypot(1/8, 1/8).
        assertEquals(1, PictureMeasures.highFrequencyShare(wave(2, 2), 1, S, S, cut), 1e-9);
        // Half the power in each of two waves, one low and one high.
        float[] both = picture((y, x) -> 0.5 + 0.2 * Math.cos(2 * Math.PI * x / S) + 0.2 * Math.cos(2 * Math.PI * 5 * y / S));
        assertEquals(0.5, PictureMeasures.highFrequencyShare(both, 1, S, S, cut), 1e-9);
        double ramp = PictureMeasures.highFrequencyShare(RAMP, 1, S, S, cut);
        // Seen as periodic, a ramp is a sawtooth: its harmonics above the cutoff hold about a fifth of its power.
        assertTrue(ramp > 0.1 && ramp < 0.3, "a ramp's wrapped edge: " + ramp);
    }

    @Test
    void channelsAreMeasuredEachOnItsOwnButContrastSpansThem() {
        float[] redAndGreen = new float[3 * S * S];
        java.util.Arrays.fill(redAndGreen, S * S, 2 * S * S, 1f);   // green plane 1, red and blue 0
        assertEquals(0, PictureMeasures.neighbourDifference(redAndGreen, 3, S, S), 0, "no pairs across planes");
        assertEquals(0, PictureMeasures.highFrequencyShare(redAndGreen, 3, S, S, PictureMeasures.HIGH_FREQUENCY), 0);
        assertEquals(Math.sqrt(2) / 3, PictureMeasures.contrast(redAndGreen), 1e-6);
    }

    @Test
    void percentileInterpolatesBetweenOrderStatisticsAndLeavesTheValuesAlone() {
        double[] values = {4, 1, 3, 2};
        assertEquals(1, PictureMeasures.percentile(values, 0), 0);
        assertEquals(2.5, PictureMeasures.percentile(values, 50), 1e-12);
        assertEquals(3.97, PictureMeasures.percentile(values, 99), 1e-12);
        assertEquals(4, PictureMeasures.percentile(values, 100), 0);
        assertArrayEquals(new double[] {4, 1, 3, 2}, values);
    }

    @Test
    void colourSpreadIsTheMeanGapBetweenAPixelsChannelsInLevels() {
        float[] rgb = new float[3 * S * S];
        // Left half grey (0.5 in every channel), right half pure red: gaps 0 and 255.
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                rgb[y * S + x] = x < S / 2 ? 0.5f : 1;
                rgb[S * S + y * S + x] = x < S / 2 ? 0.5f : 0;
                rgb[2 * S * S + y * S + x] = x < S / 2 ? 0.5f : 0;
            }
        }
        assertEquals(127.5, PictureMeasures.colourSpread(rgb, 3, S, S), 1e-9);
        assertEquals(0, PictureMeasures.colourSpread(RAMP, 1, S, S), 0, "one channel has no colour");
        // Per channel, the upper of the two middle values: red's 1 (of 0.5 and 1), green's and blue's 0.5 (of 0 and 0.5).
        assertArrayEquals(new int[] {255, 128, 128}, PictureMeasures.medianLevels(rgb, 3, S, S));
        assertArrayEquals(new int[] {102}, PictureMeasures.medianLevels(FLAT, 1, S, S), "0.4 of 255");
    }

    @Test
    void brightnessIsTheMeanValue() {
        assertEquals(0.4, PictureMeasures.brightness(FLAT), 1e-7);
        assertEquals(0.5, PictureMeasures.brightness(CHECKERBOARD), 0);
        assertEquals(0.5, PictureMeasures.brightness(RAMP), 1e-7);
    }
}
