package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.render.RenderParams;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Changes the image after an optimizer step (Yosinski et al.'s regularizers: decay, blur, clipping).
 * Each one reads its own settings from the params and does nothing when they switch it off.
 */
public interface Regularizer {

    /**
     * @param image the parameterization, whose parameter is changed in place
     * @param imageGradient d(objective)/d(image) of this step, [n, c, h, w]
     */
    void apply(Parameterization image, INDArray imageGradient, RenderParams params, int step);
}
