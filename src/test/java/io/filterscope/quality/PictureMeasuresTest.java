package io.filterscope.quality;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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

    /** A 64 px RGB picture from a function of (y, x) giving {r, g, b}. */
    private static float[] colour(java.util.function.BiFunction<Integer, Integer, double[]> f) {
        int n = 64;
        float[] p = new float[3 * n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double[] v = f.apply(y, x);
                for (int ch = 0; ch < 3; ch++) {
                    p[(ch * n + y) * n + x] = (float) v[ch];
                }
            }
        }
        return p;
    }

    /** A soft round spot of height 1 and standard deviation 6 px in the middle of a 64 px picture. */
    private static double spot(int y, int x) {
        return Math.exp(-((y - 31.5) * (y - 31.5) + (x - 31.5) * (x - 31.5)) / 72);
    }

    @Test
    void aColourWithASoftSpotAFaintGradientOrFaintStripesIsNearFlatAndStripesOrATextureAreNot() {
        double limit = PictureMeasures.NEAR_FLAT_DEVIATION;
        // What people called plain (emoji-cnn's conv1 and conv3 tiles): the flat measure misses all three.
        float[] greenWithYellowSpot = colour((y, x) -> new double[] {spot(y, x), 1, 0});
        float[] cyanGradient = colour((y, x) -> new double[] {0, 1, 0.75 + 0.25 * x / 63});
        float[] magentaFaintStripes = colour((y, x) -> new double[] {1, x / 8 % 2 == 0 ? 0 : 0.35, 1});
        for (float[] plain : List.of(greenWithYellowSpot, cyanGradient, magentaFaintStripes)) {
            assertTrue(PictureMeasures.colourDeviation(plain, 3, 64, 64) < limit, "near-flat: " + PictureMeasures.colourDeviation(plain, 3, 64, 64));
            assertTrue(!PictureMeasures.flat(plain, 3, 64, 64, 0.86), "not flat by the 8-level measure");
        }
        float[] greenStripes = colour((y, x) -> new double[] {0, x % 8 < 3 ? 0.5 : 1, 0});
        Random rng = new Random(1);
        float[] greenTexture = colour((y, x) -> {
            double t = rng.nextDouble();
            return new double[] {0.5 * t, 0.5 + 0.5 * t, 0.5 * t};
        });
        float[] spotOnGrey = colour((y, x) -> new double[] {0.5 + 0.5 * spot(y, x), 0.5, 0.5 - 0.5 * spot(y, x)});
        for (float[] busy : List.of(greenStripes, greenTexture)) {
            assertTrue(PictureMeasures.colourDeviation(busy, 3, 64, 64) >= limit, "not near-flat: " + PictureMeasures.colourDeviation(busy, 3, 64, 64));
        }
        // CIE94: the same spot of colour counts for more on grey than on a saturated green (chroma 120).
        assertTrue(PictureMeasures.colourDeviation(spotOnGrey, 3, 64, 64) > 3 * PictureMeasures.colourDeviation(greenWithYellowSpot, 3, 64, 64));
        // Closed forms: one colour is 0; half black, half white is L* 0 and 100 around a mean of 50.
        assertEquals(0, PictureMeasures.colourDeviation(colour((y, x) -> new double[] {0.9, 0.2, 0.4}), 3, 64, 64), 1e-9);
        assertEquals(50, PictureMeasures.colourDeviation(picture((y, x) -> x < S / 2 ? 0.0 : 1.0), 1, S, S), 1e-3);
        assertArrayEquals(new double[] {53.24, 80.09, 67.20}, PictureMeasures.cieLab(1, 0, 0), 0.05, "red in CIELAB");
    }

    @Test
    void nearFlatLimitIsTheModelPicturesFifthPercentile() {
        assertEquals(PictureMeasures.NEAR_FLAT_DEVIATION, PictureMeasures.nearFlatLimit(null, 1, S, S), 0);
        float[][] pictures = new float[21][];
        for (int i = 0; i < pictures.length; i++) {
            int level = i;
            // Half black, half grey: L* 0 and the grey's, a deviation of half the grey's L*.
            pictures[i] = picture((y, x) -> x < S / 2 ? 0.0 : level / 20.0);
        }
        // The 5th percentile of 21 values is the second smallest: level 1 (deviations grow with the level).
        assertEquals(PictureMeasures.colourDeviation(pictures[1], 1, S, S), PictureMeasures.nearFlatLimit(pictures, 1, S, S), 1e-9);
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
