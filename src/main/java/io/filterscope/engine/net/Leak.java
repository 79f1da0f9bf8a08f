package io.filterscope.engine.net;

import java.util.Arrays;

/**
 * The slope a backward pass gives inactive ReLUs (a run's leaky start, {@code 0} for a true ReLU gradient),
 * one for the whole batch or one per image: runs that share a minibatch are each at their own step of their
 * own schedule. A stage that uses it works on the rows of each slope in turn, so every image gets exactly
 * the gradient it would get in a batch of its own.
 */
final class Leak {
    static final Leak NONE = new Leak(new double[] {0}, true);

    /** One slope per image, or a single one when {@link #uniform}. */
    private final double[] slopes;
    private final boolean uniform;

    private Leak(double[] slopes, boolean uniform) {
        this.slopes = slopes;
        this.uniform = uniform;
    }

    static Leak of(double slope) {
        return slope == 0 ? NONE : new Leak(new double[] {slope}, true);
    }

    /** @param perImage one slope per image of the batch, [batch] */
    static Leak perImage(double[] perImage) {
        boolean same = Arrays.stream(perImage).allMatch(s -> s == perImage[0]);
        return same ? of(perImage.length == 0 ? 0 : perImage[0]) : new Leak(perImage.clone(), false);
    }

    boolean uniform() {
        return uniform;
    }

    /** The slope of every image; only when {@link #uniform}. */
    double slope() {
        if (!uniform) {
            throw new IllegalStateException("the slope differs between images");
        }
        return slopes[0];
    }

    /** What a stage does to the rows {@code [from, to)} of its batch, which share one slope. */
    @FunctionalInterface
    interface Rows {
        void apply(int from, int to, double slope);
    }

    /** Calls {@code each} once per stretch of consecutive images with the same slope, in order. */
    void forEachStretch(Rows each) {
        int from = 0;
        for (int i = 1; i <= slopes.length; i++) {
            if (i == slopes.length || slopes[i] != slopes[from]) {
                each.apply(from, i, slopes[from]);
                from = i;
            }
        }
    }
}
