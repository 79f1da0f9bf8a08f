package io.filterscope.engine.param;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How the image is represented while it is optimized. The optimizer changes {@link #parameter()}; the
 * network sees {@link #image()}, in the model's input space; {@link #backward} carries the image's gradient
 * back to the parameter.
 */
public interface Parameterization {

    /** What the optimizer updates, [batch, ...]. */
    INDArray parameter();

    /** Recomputes the image from the parameter and returns it, [batch, c, h, w], in model input units. */
    INDArray image();

    /** d(objective)/d(parameter) from d(objective)/d(image) at the last {@link #image()}. */
    INDArray backward(INDArray imageGradient);

    /**
     * The parameter value that means "mid-grey", per channel ([c], read-only): what L2 decay pulls towards and clipping
     * resets to.
     */
    INDArray neutral();

    /** How far one unit of the optimizer's step moves the parameter (the input range for pixels). */
    double stepScale();

    /** Whether the parameter is the image itself, so image-space regularizers (blur, clipping) apply to it. */
    boolean isPixels();

    /** Brings the parameter back into its valid range after an update. */
    void project();

    /** How the image maps to display colours: the model's input space. */
    InputSpace space();
}
