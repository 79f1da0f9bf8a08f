package io.filterscope.engine.optimizer;

/**
 * Which optimizer, and its step size schedule: at step t the step is {@code lr / (1 + lrDecay * t)}, in
 * units of the model's input range (so one setting suits a [0, 1] and a [0, 255] model alike).
 */
public record OptimizerSettings(Kind kind, double lr, double lrDecay) {

    public enum Kind {
        /** {@link NormalizedAscent}: the Keras blog's normalized gradient. */
        ASCENT,
        /** {@link Adam}: Lucid's default. */
        ADAM
    }

    /** A new optimizer of this kind for {@code parameter} ([n, ...]), its state empty. */
    public Optimizer create(org.nd4j.linalg.api.ndarray.INDArray parameter) {
        return switch (kind) {
            case ASCENT -> new NormalizedAscent();
            case ADAM -> new Adam(parameter);
        };
    }

    /** The step size at step {@code step}, in input-range units. */
    public double stepSize(int step) {
        return lr / (1 + lrDecay * step);
    }
}
