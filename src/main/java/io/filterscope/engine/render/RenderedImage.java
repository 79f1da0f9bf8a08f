package io.filterscope.engine.render;

import io.filterscope.engine.objective.Objective;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The finished image of one objective: for display ([c, h, w] in [0, 1]), as the model's input, the
 * objective's final value, and whether it is dead ({@link AscentRun#dead}: it fires on no example picture, nor on the finished image).
 */
public record RenderedImage(Objective objective, INDArray display, INDArray input, double value, boolean dead) {

    public float[] displayPlanes() {
        return display.dup('c').data().asFloat();
    }
}
