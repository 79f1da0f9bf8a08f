package io.filterscope.engine.net;

import java.util.Arrays;

/**
 * The slope a backward pass gives inactive ReLUs (a run's leaky start, {@code 0} for a true ReLU gradient),
 * one for the whole batch or one per image: runs that share a minibatch are each at their own step of their
 * own schedule. A stage that uses it gives each row its own slope, so every image gets exactly the gradient it
 * would get in a batch of its own.
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

    /** The slope of every image, or of each ([batch]) when they differ; at least {@code floor} (a layer's own slope). */
    double[] slopes(double floor) {
        return Arrays.stream(slopes).map(s -> Math.max(floor, s)).toArray();
    }
}
