package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Changes the image after an optimizer step (Yosinski et al.'s regularizers: decay, blur, clipping). Each
 * is a small record of its own settings; a run applies the ones in its list, in order.
 */
public interface Regularizer {

    /**
     * @param image         the parameterization, whose parameter is changed in place
     * @param imageGradient d(objective)/d(image) of this step, [n, c, h, w] in input units
     * @param step          the step just taken, from 0
     */
    void apply(Parameterization image, INDArray imageGradient, int step);

    /**
     * Whether it does the same at every step and to each image (row) on its own, so that it can change the rows of
     * runs at different steps in one application, each as it would alone. Those that change with the step (a blur
     * every few steps) or rank an image's pixels are applied run by run.
     */
    default boolean rowWise() {
        return false;
    }
}
