package io.filterscope.engine.render;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One step of a run: the objective's value per image (before this step's update) and the images after it,
 * [n, c, h, w] scaled to [0, 1] for display (an array of its own, not a view: later steps do not change it, and its
 * buffer holds exactly these images).
 */
public record StepResult(int step, double[] values, INDArray images) {
}
