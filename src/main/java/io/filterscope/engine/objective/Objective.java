package io.filterscope.engine.objective;

import io.filterscope.engine.net.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A scalar to maximize for one image of the batch, read from layer outputs or from the image itself (a
 * penalty). Objectives are values of an algebra, as in Lucid's {@code objectives}:
 * {@code channel(a).times(0.2).plus(channel(b).times(0.8)).minus(new TotalVariation().times(1e-3))} is itself
 * an objective (a {@link WeightedSum}), and the protocol's {@code "sum"} objective mirrors it.
 */
public interface Objective {

    /** The network layers whose outputs this objective reads (none for a term on the image alone). */
    Set<String> layers();

    /** Whether it reads the image itself (a penalty such as total variation), not only layers. */
    default boolean readsImage() {
        return false;
    }

    /**
     * Whether an image's value depends on the other images of its batch ({@link Diversity}): such images must step
     * in one batch, not split into parts that step apart.
     */
    default boolean joinsImages() {
        return false;
    }

    /**
     * Returns the objective's value for image {@code image} of the step and adds {@code weight} times its
     * gradient into that image's slice of {@link StepTensors#gradient} of each layer it reads (or of
     * {@link StepTensors#imageGradient}).
     */
    double evaluate(StepTensors tensors, int image, double weight);

    /** {@link #evaluate} for every image of the step; an objective that can do it in one go overrides this. */
    default double[] evaluateAll(StepTensors tensors, double weight) {
        double[] values = new double[tensors.batch()];
        for (int i = 0; i < values.length; i++) {
            values[i] = evaluate(tensors, i, weight);
        }
        return values;
    }

    /** {@link #evaluate} on a network alone, for objectives that read only its layers. */
    default double evaluate(Network net, int image, double weight) {
        return evaluate(StepTensors.of(net), image, weight);
    }

    /**
     * This objective with any term that reads "the run's objectives' layer" ({@link Diversity#OF_OBJECTIVES})
     * bound to {@code layer}: a preset's shared terms are built before the objectives are known.
     *
     * @param layer the one layer the run's objectives read, or null when they read none or several
     */
    default Objective on(String layer) {
        return this;
    }

    /** Short label, as a gallery tile or a log line shows it. */
    String label();

    /** {@code weight * this}. */
    default Objective times(double weight) {
        return new WeightedSum(WeightedSum.termsOf(this).stream()
                .map(t -> new WeightedSum.Term(weight * t.weight(), t.objective())).toList());
    }

    /** {@code this + other}. */
    default Objective plus(Objective other) {
        List<WeightedSum.Term> terms = new ArrayList<>(WeightedSum.termsOf(this));
        terms.addAll(WeightedSum.termsOf(other));
        return new WeightedSum(terms);
    }

    /** {@code this - other}. */
    default Objective minus(Objective other) {
        return plus(other.times(-1));
    }
}
