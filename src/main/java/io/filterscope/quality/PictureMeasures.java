package io.filterscope.quality;

import java.util.Arrays;

/**
 * Measures of one picture that say whether a person can read it, on display values in [0, 1], planar
 * {@code c*h*w} (grey or RGB): how jagged it is, its contrast, how much of its detail is fine noise.
 */
public final class PictureMeasures {
    /** Spatial frequency, in cycles per pixel, above which detail counts as high-frequency (Distill's noise). */
    public static final double HIGH_FREQUENCY = 1.0 / 8;

    /**
     * A tile is flat when more than this share of its pixels lies within {@link #FLAT_LEVELS} of its median colour,
     * or more than the pictures of the model's data usually have ({@link #flatLimit}): a digit on black is mostly
     * black too.
     */
    public static final double FLAT_SHARE = 0.5;
    /** How near (in levels of 255, every channel) a pixel must be to the median colour to count towards flatness. */
    public static final int FLAT_LEVELS = 8;

    /**
     * A tile is near-flat when its {@link #colourDeviation} is below this percentile of the model's example pictures'
     * ({@link #nearFlatLimit}): one colour with a faint gradient, a soft spot or one small dot, which a person calls
     * plain though most of its pixels are more than {@link #FLAT_LEVELS} levels from its median (emoji-cnn's conv1
     * filters 7, 20 and 22 with data-prior: 34-77% within them, not {@link #flat}; deviation 6.0, 7.2 and 4.4 against
     * the examples' 5th percentile, 8.1; docs/quality.md).
     */
    public static final double NEAR_FLAT_PERCENTILE = 5;
    /** The near-flat limit for a model without example pictures: emoji-cnn's, rounded ({@link #colourDeviation} units). */
    public static final double NEAR_FLAT_DEVIATION = 8;

    private PictureMeasures() {
    }

    /**
     * The mean absolute difference between horizontally and vertically neighbouring pixels, over channels:
     * about 0.5 for salt-and-pepper noise, near 0 for a flat or a smooth picture.
     */
    public static double neighbourDifference(float[] p, int c, int h, int w) {
        double sum = 0;
        long pairs = 0;
        for (int ch = 0; ch < c; ch++) {
            int plane = ch * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = plane + y * w + x;
                    if (x + 1 < w) {
                        sum += Math.abs(p[i + 1] - p[i]);
                        pairs++;
                    }
                    if (y + 1 < h) {
                        sum += Math.abs(p[i + w] - p[i]);
                        pairs++;
                    }
                }
            }
        }
        return pairs == 0 ? 0 : sum / pairs;
    }

    /**
     * The share of the picture's pixels whose every channel is within {@code levels} (of 255) of the picture's
     * per-channel median: 1 for one flat colour, near 0 for a picture with detail all over.
     */
    public static double nearMedianShare(float[] p, int c, int h, int w, int levels) {
        int plane = h * w;
        float[] median = new float[c];
        for (int ch = 0; ch < c; ch++) {
            float[] sorted = Arrays.copyOfRange(p, ch * plane, (ch + 1) * plane);
            Arrays.sort(sorted);
            median[ch] = sorted[plane / 2];
        }
        int near = 0;
        for (int i = 0; i < plane; i++) {
            boolean all = true;
            for (int ch = 0; ch < c && all; ch++) {
                // In whole levels, so a PNG's 8-bit values read back by any route count the same.
                all = Math.round(Math.abs(p[ch * plane + i] - median[ch]) * 255) <= levels;
            }
            near += all ? 1 : 0;
        }
        return near / (double) plane;
    }

    /**
     * Whether the picture is a flat colour to the eye: more than {@code limit} of its pixels within
     * {@link #FLAT_LEVELS} levels of its median colour (a white square with a specked rim is flat; stripes and a
     * two-tone checkerboard are not).
     *
     * @param limit a share, 0-1: {@link #flatLimit} of the model's pictures
     */
    public static boolean flat(float[] p, int c, int h, int w, double limit) {
        return nearMedianShare(p, c, h, w, FLAT_LEVELS) > limit;
    }

    /**
     * The share of near-median pixels above which a picture is flatter than the model's own pictures: the 99th
     * percentile of theirs (Fashion-MNIST 0.85, MNIST 0.92: dark backgrounds), and never below
     * {@link #FLAT_SHARE}; {@link #FLAT_SHARE} without pictures.
     *
     * @param pictures display values in [0, 1], planar {@code c*h*w} each; null or empty when unknown
     */
    public static double flatLimit(float[][] pictures, int c, int h, int w) {
        if (pictures == null || pictures.length == 0) {
            return FLAT_SHARE;
        }
        double[] shares = new double[pictures.length];
        for (int i = 0; i < shares.length; i++) {
            shares[i] = nearMedianShare(pictures[i], c, h, w, FLAT_LEVELS);
        }
        return Math.max(FLAT_SHARE, percentile(shares, 99));
    }

    /**
     * How far, as a person sees colour, the picture strays from its one mean colour: the mean over its pixels of the
     * CIE94 colour difference (graphic arts weights: kL = kC = kH = 1, K1 = 0.045, K2 = 0.015) between the pixel and the
     * picture's mean CIELAB colour (sRGB, D65; a grey picture's channel is each of R, G and B). 0 for one flat colour;
     * about 1 for a saturated green with a soft yellow spot, 6 for a cyan with a faint gradient, 16 to 30 for the tiles of
     * emoji-cnn's conv6 and 22 for its median example picture. CIE94 divides chroma and hue differences by 1 + 0.045 C and
     * 1 + 0.015 C of the mean colour (its chroma C, 0 for grey to about 130 for pure blue): a shift that is plain to see on
     * grey is a faint one on a saturated colour, as in the tiles people called one colour with a faint gradient.
     */
    public static double colourDeviation(float[] p, int c, int h, int w) {
        int plane = h * w;
        double[][] lab = new double[plane][];
        double[] mean = new double[3];
        for (int i = 0; i < plane; i++) {
            lab[i] = cieLab(p[i], p[(c == 3 ? 1 : 0) * plane + i], p[(c == 3 ? 2 : 0) * plane + i]);
            for (int k = 0; k < 3; k++) {
                mean[k] += lab[i][k] / plane;
            }
        }
        double chroma = Math.hypot(mean[1], mean[2]);
        double sc = 1 + 0.045 * chroma;
        double sh = 1 + 0.015 * chroma;
        double sum = 0;
        for (double[] v : lab) {
            double dl = v[0] - mean[0];
            double da = v[1] - mean[1];
            double db = v[2] - mean[2];
            double dc = Math.hypot(v[1], v[2]) - chroma;
            double dh2 = Math.max(0, da * da + db * db - dc * dc);
            sum += Math.sqrt(dl * dl + dc * dc / (sc * sc) + dh2 / (sh * sh));
        }
        return sum / plane;
    }

    /**
     * The {@link #colourDeviation} below which a picture is plainer than the model's own pictures, near-flat to a person
     * (a flat colour with a soft spot is; stripes, a texture or an object on a background are not): their
     * {@link #NEAR_FLAT_PERCENTILE}th percentile (emoji-cnn 8.1: the few below are a pale emoji on near-white or a
     * small one on a plain colour); {@link #NEAR_FLAT_DEVIATION} without pictures.
     *
     * @param pictures display values in [0, 1], planar {@code c*h*w} each; null or empty when unknown
     */
    public static double nearFlatLimit(float[][] pictures, int c, int h, int w) {
        if (pictures == null || pictures.length == 0) {
            return NEAR_FLAT_DEVIATION;
        }
        double[] deviations = new double[pictures.length];
        for (int i = 0; i < deviations.length; i++) {
            deviations[i] = colourDeviation(pictures[i], c, h, w);
        }
        return percentile(deviations, NEAR_FLAT_PERCENTILE);
    }

    /** CIELAB (D65 white) of an sRGB colour, each channel in [0, 1]: {L*, a*, b*}. */
    static double[] cieLab(double r, double g, double b) {
        double lr = linear(r);
        double lg = linear(g);
        double lb = linear(b);
        double x = labF((0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.9505);
        double y = labF(0.2126 * lr + 0.7152 * lg + 0.0722 * lb);
        double z = labF((0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.089);
        return new double[] {116 * y - 16, 500 * (x - y), 200 * (y - z)};
    }

    /** sRGB's transfer function undone: a display value in [0, 1] to linear light. */
    private static double linear(double v) {
        return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }

    /** CIELAB's companding of a white-relative tristimulus value. */
    private static double labF(double t) {
        return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16.0 / 116;
    }

    /**
     * The picture's per-channel median, in levels 0-255 (rounded), planar {@code c*h*w} display values in [0, 1].
     */
    public static int[] medianLevels(float[] p, int c, int h, int w) {
        int plane = h * w;
        int[] median = new int[c];
        for (int ch = 0; ch < c; ch++) {
            float[] sorted = Arrays.copyOfRange(p, ch * plane, (ch + 1) * plane);
            Arrays.sort(sorted);
            median[ch] = Math.round(sorted[plane / 2] * 255);
        }
        return median;
    }

    /**
     * How coloured a picture is: the mean over its pixels of the largest minus the smallest of the pixel's channels,
     * in levels 0-255 (whole levels, as a PNG stores them); 0 for a grey picture or one channel.
     */
    public static double colourSpread(float[] p, int c, int h, int w) {
        int plane = h * w;
        double sum = 0;
        for (int i = 0; i < plane; i++) {
            int lo = 255;
            int hi = 0;
            for (int ch = 0; ch < c; ch++) {
                int v = Math.round(p[ch * plane + i] * 255);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            sum += hi - lo;
        }
        return sum / plane;
    }

    /** The mean of all the picture's values (over channels and pixels): its brightness, 0 black to 1 white. */
    public static double brightness(float[] p) {
        double sum = 0;
        for (float v : p) {
            sum += v;
        }
        return sum / p.length;
    }

    /** The standard deviation of all the picture's values (over channels and pixels): its contrast. */
    public static double contrast(float[] p) {
        double mean = brightness(p);
        double sq = 0;
        for (float v : p) {
            sq += (v - mean) * (v - mean);
        }
        return Math.sqrt(sq / p.length);
    }

    /**
     * The share of the picture's spectral power (mean removed, summed over channels) at spatial frequencies
     * above {@code cutoff} cycles per pixel (|f| = hypot(fy, fx)); 0 for a flat picture. A 2-D DFT, separable.
     */
    public static double highFrequencyShare(float[] p, int c, int h, int w, double cutoff) {
        double high = 0;
        double all = 0;
        // Twiddle factors: cos and sin of 2 pi k / n for every k, so a 224 px picture takes a second, not ten.
        double[] cosW = new double[w];
        double[] sinW = new double[w];
        for (int k = 0; k < w; k++) {
            cosW[k] = Math.cos(2 * Math.PI * k / w);
            sinW[k] = Math.sin(2 * Math.PI * k / w);
        }
        double[] cosH = new double[h];
        double[] sinH = new double[h];
        for (int k = 0; k < h; k++) {
            cosH[k] = Math.cos(2 * Math.PI * k / h);
            sinH[k] = Math.sin(2 * Math.PI * k / h);
        }
        for (int ch = 0; ch < c; ch++) {
            double[][] plane = new double[h][w];
            double mean = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    plane[y][x] = p[(ch * h + y) * w + x];
                    mean += plane[y][x];
                }
            }
            mean /= h * w;
            // along x: re/im of every row at every kx
            double[][] re = new double[h][w];
            double[][] im = new double[h][w];
            for (int y = 0; y < h; y++) {
                for (int kx = 0; kx < w; kx++) {
                    for (int x = 0; x < w; x++) {
                        int turn = (int) ((long) kx * x % w);
                        re[y][kx] += (plane[y][x] - mean) * cosW[turn];
                        im[y][kx] -= (plane[y][x] - mean) * sinW[turn];
                    }
                }
            }
            for (int ky = 0; ky < h; ky++) {
                double fy = (ky <= h / 2 ? ky : ky - h) / (double) h;
                for (int kx = 0; kx < w; kx++) {
                    double r = 0;
                    double i = 0;
                    for (int y = 0; y < h; y++) {
                        int turn = (int) ((long) ky * y % h);
                        double cos = cosH[turn];
                        double sin = sinH[turn];
                        r += re[y][kx] * cos + im[y][kx] * sin;
                        i += im[y][kx] * cos - re[y][kx] * sin;
                    }
                    double power = r * r + i * i;
                    double fx = (kx <= w / 2 ? kx : kx - w) / (double) w;
                    all += power;
                    if (Math.hypot(fy, fx) > cutoff) {
                        high += power;
                    }
                }
            }
        }
        return all == 0 ? 0 : high / all;
    }

    /** The {@code q}-th percentile (0-100) of the values, linearly interpolated between order statistics. */
    public static double percentile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double at = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(at);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }
}
