package io.filterscope.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.data.LabeledImages;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The learned prior on pictures whose logits are a mean plus two known patterns with known spreads (plus a
 * whisper of noise): the fit must find the mean, components in the patterns' span scaled by the spreads along
 * them, and the share of variance they hold.
 */
class PriorFitTest {
    private static final int SIDE = 8;
    private static final int D = SIDE * SIDE;
    private static final int N = 300;

    /** Pictures, their exact mean logit, and the two orthonormal patterns with the coefficients' 2x2 covariance. */
    private record Synthetic(LabeledImages pictures, double[] meanLogit, double[][] patterns, double[][] covariance) {
    }

    private static double logit(double v) {
        return Math.log(v / (1 - v));
    }

    private static Synthetic synthetic() {
        // Pixel 0 is black in every picture (its logit is clipped at 0.02); the patterns leave it alone.
        double[] p1 = new double[D];
        double[] p2 = new double[D];
        double[] base = new double[D];
        for (int i = 1; i < D; i++) {
            int y = i / SIDE;
            int x = i % SIDE;
            p1[i] = (x + y) % 2 == 0 ? 1 : -1;      // checkerboard
            p2[i] = x < SIDE / 2 ? 1 : -1;           // left against right
            base[i] = 0.3 * Math.sin(i);
        }
        normalize(p1);
        double along = dot(p2, p1);
        for (int i = 0; i < D; i++) {
            p2[i] -= along * p1[i];
        }
        normalize(p2);
        Random rng = new Random(5);
        float[][] pixels = new float[N][D];
        double[][] logits = new double[N][D];
        double[] a = new double[N];
        double[] b = new double[N];
        for (int n = 0; n < N; n++) {
            a[n] = 3 * rng.nextGaussian();
            b[n] = 1 * rng.nextGaussian();
            pixels[n][0] = 0;
            logits[n][0] = logit(0.02);
            for (int i = 1; i < D; i++) {
                logits[n][i] = base[i] + a[n] * p1[i] + b[n] * p2[i] + 1e-4 * rng.nextGaussian();
                pixels[n][i] = (float) (1 / (1 + Math.exp(-logits[n][i])));
                assertTrue(pixels[n][i] > 0.02 && pixels[n][i] < 0.98, "the fixture stays inside the clip");
            }
        }
        double[] mean = new double[D];
        for (int n = 0; n < N; n++) {
            for (int i = 0; i < D; i++) {
                // As the pixels were stored (float), so the expected mean is exact to float rounding.
                mean[i] += logit(Math.min(0.98, Math.max(0.02, pixels[n][i]))) / N;
            }
        }
        double ma = mean(a);
        double mb = mean(b);
        double[][] cov = new double[2][2];
        for (int n = 0; n < N; n++) {
            cov[0][0] += (a[n] - ma) * (a[n] - ma) / N;
            cov[0][1] += (a[n] - ma) * (b[n] - mb) / N;
            cov[1][1] += (b[n] - mb) * (b[n] - mb) / N;
        }
        cov[1][0] = cov[0][1];
        return new Synthetic(new LabeledImages(pixels, new int[N], SIDE, SIDE), mean, new double[][] {p1, p2}, cov);
    }

    @Test
    void meanIsTheMeanClippedLogitOfThePictures() {
        Synthetic s = synthetic();
        PriorFit.Result r = PriorFit.fit(s.pictures(), 2);
        assertArrayEquals(new int[] {3, 1, SIDE, SIDE}, r.dims());
        for (int i = 0; i < D; i++) {
            assertEquals(s.meanLogit()[i], r.values()[i], 1e-4, "mean logit at pixel " + i);
        }
        assertEquals(logit(0.02), r.values()[0], 1e-4, "a black pixel's logit is clipped, not infinite");
    }

    @Test
    void twoComponentsSpanTheTwoPatternsScaledByTheirSpreadAndHoldAllTheVariance() {
        Synthetic s = synthetic();
        PriorFit.Result r = PriorFit.fit(s.pictures(), 2);
        double[] eigen = eigenvalues(s.covariance());
        double spreadHeld = 0;
        for (int k = 0; k < 2; k++) {
            double[] c = component(r, k);
            double inSpan = Math.hypot(dot(c, s.patterns()[0]), dot(c, s.patterns()[1]));
            assertEquals(norm(c), inSpan, 1e-3 * norm(c), "component " + k + " lies in the patterns' span");
            // Scaled by the spread along it: its length is the standard deviation of the coefficients there.
            assertEquals(Math.sqrt(eigen[k]), norm(c), 2e-3 * Math.sqrt(eigen[k]), "component " + k + "'s length");
            spreadHeld += norm(c) * norm(c);
        }
        assertTrue(Math.abs(dot(component(r, 0), component(r, 1))) < 1e-3 * norm(component(r, 0)) * norm(component(r, 1)),
                "components are orthogonal");
        // The first is (nearly) the checkerboard, whose coefficient spreads three times as much.
        assertTrue(Math.abs(dot(component(r, 0), s.patterns()[0])) > 0.99 * norm(component(r, 0)));
        assertEquals(1.0, r.explained(), 1e-4);
        assertEquals(eigen[0] + eigen[1], spreadHeld, 1e-2 * spreadHeld);
    }

    @Test
    void oneComponentExplainsItsShareOfTheVariance() {
        Synthetic s = synthetic();
        double[] eigen = eigenvalues(s.covariance());
        PriorFit.Result r = PriorFit.fit(s.pictures(), 1);
        assertEquals(eigen[0] / (eigen[0] + eigen[1]), r.explained(), 1e-3);
        assertTrue(r.explained() > 0.85 && r.explained() < 0.95, "about 9 / 10, got " + r.explained());
    }

    @Test
    void componentsBeyondTheStructureHoldOnlyTheNoise() {
        Synthetic s = synthetic();
        PriorFit.Result r = PriorFit.fit(s.pictures(), 4);
        assertEquals(5, r.dims()[0]);
        for (int k = 2; k < 4; k++) {
            assertTrue(norm(component(r, k)) < 1e-3, "component " + k + " has length " + norm(component(r, k)));
        }
    }

    private static double[] component(PriorFit.Result r, int k) {
        double[] c = new double[D];
        for (int i = 0; i < D; i++) {
            c[i] = r.values()[(k + 1) * D + i];
        }
        return c;
    }

    /** Largest first. */
    private static double[] eigenvalues(double[][] m) {
        double mid = (m[0][0] + m[1][1]) / 2;
        double radius = Math.hypot((m[0][0] - m[1][1]) / 2, m[0][1]);
        return new double[] {mid + radius, mid - radius};
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void normalize(double[] a) {
        double n = norm(a);
        for (int i = 0; i < a.length; i++) {
            a[i] /= n;
        }
    }
}
