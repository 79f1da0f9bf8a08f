package io.filterscope.engine.objective;

import java.util.Set;

/**
 * A term on the image itself, such as a penalty: it reads no layer, works on the whole batch at once
 * ({@link #evaluateAll}), and evaluates one image as a batch of one.
 */
interface ImageTerm extends Objective {

    @Override
    default Set<String> layers() {
        return Set.of();
    }

    @Override
    default boolean readsImage() {
        return true;
    }

    @Override
    default double evaluate(StepTensors t, int image, double weight) {
        return evaluateAll(t.one(image), weight)[0];
    }

    @Override
    double[] evaluateAll(StepTensors t, double weight);
}
