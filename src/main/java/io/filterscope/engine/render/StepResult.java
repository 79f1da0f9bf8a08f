package io.filterscope.engine.render;

/**
 * One step of a run: the objective's value per image (before this step's update) and the images after it, for display
 * (copied to the host: later steps do not change them).
 */
public record StepResult(int step, double[] values, HostImages images) {
}
