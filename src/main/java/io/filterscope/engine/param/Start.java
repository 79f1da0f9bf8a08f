package io.filterscope.engine.param;

import java.util.Random;

/**
 * Where each image of a run starts: small seeded noise around mid-grey, or around a given picture (Nguyen et
 * al.'s mean-image initialization: the mean of the examples that excite the objective most).
 *
 * @param seeds    seeds each image's noise; images with equal seeds start alike, so a batched run gives the
 *                 images of separate runs
 * @param pictures per image a display picture, planar {@code c*h*w} values in [0, 1], or null for grey; null
 *                 altogether when no image has one
 */
public record Start(long[] seeds, float[][] pictures) {

    /** The usual start: the same seeded noise around grey for all {@code n} images. */
    public static Start noise(long seed, int n) {
        long[] seeds = new long[n];
        java.util.Arrays.fill(seeds, seed);
        return new Start(seeds, null);
    }

    /** The noise generator of image {@code i}. */
    public Random random(int i) {
        return new Random(seeds[i]);
    }

    /** Image {@code i}'s picture, or null (start from grey). */
    public float[] picture(int i) {
        return pictures == null ? null : pictures[i];
    }
}
