package io.filterscope.quality;

import java.util.Arrays;

/**
 * Measures of one picture that say whether a person can read it, on display values in [0, 1], planar
 * {@code c*h*w} (grey or RGB): how jagged it is, its contrast, how much of its detail is fine noise.
 */
public final class PictureMeasures {
    /** Spatial frequency, in cycles per pixel, above which detail counts as high-frequency (Distill's noise). */
    public static final double HIGH_FREQUENCY = 1.0 / 8;

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

    /** The standard deviation of all the picture's values (over channels and pixels): its contrast. */
    public static double contrast(float[] p) {
        double mean = 0;
        for (float v : p) {
            mean += v;
        }
        mean /= p.length;
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
                        double a = 2 * Math.PI * kx * x / w;
                        re[y][kx] += (plane[y][x] - mean) * Math.cos(a);
                        im[y][kx] -= (plane[y][x] - mean) * Math.sin(a);
                    }
                }
            }
            for (int ky = 0; ky < h; ky++) {
                double fy = (ky <= h / 2 ? ky : ky - h) / (double) h;
                for (int kx = 0; kx < w; kx++) {
                    double r = 0;
                    double i = 0;
                    for (int y = 0; y < h; y++) {
                        double a = 2 * Math.PI * ky * y / h;
                        double cos = Math.cos(a);
                        double sin = Math.sin(a);
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
