package io.filterscope.engine.objective;

import java.util.Set;

/**
 * The logit (pre-softmax score) of one output class. Maximizing the probability instead would also push
 * the other classes down, which is not what "the ideal input for class k" means.
 */
public record ClassObjective(String outputLayer, int index, String className) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(outputLayer);
    }

    @Override
    public double evaluate(StepTensors t, int image, double weight) {
        return new ChannelObjective(outputLayer, index).evaluate(t, image, weight);
    }

    @Override
    public String label() {
        return className == null ? "class " + index : className;
    }
}
