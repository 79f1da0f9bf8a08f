package io.filterscope.engine.render;

/**
 * A network whose ReLUs are all off on the start image gives a zero gradient, and nothing would ever move.
 * For the first {@code steps} steps, the backward pass lets {@code slope} of the gradient through inactive
 * ReLUs, so such filters get a start; a filter that still never fires is reported dead.
 *
 * @param slope share of the gradient let through an inactive ReLU (0: off)
 */
public record LeakyStart(double slope, int steps) {
    public static final LeakyStart OFF = new LeakyStart(0, 0);

    /** The slope at step {@code step}. */
    public double at(int step) {
        return step < steps ? slope : 0;
    }
}
