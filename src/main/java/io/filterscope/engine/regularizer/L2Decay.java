package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.render.RenderParams;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shrinks the image towards mid-grey by a constant factor every step, so only pixels that keep helping stay bright. */
public final class L2Decay implements Regularizer {
    @Override
    public void apply(Parameterization image, INDArray imageGradient, RenderParams params, int step) {
        if (params.l2Decay() < 1) {
            double n = image.neutral();
            image.parameter().subi(n).muli(params.l2Decay()).addi(n);
        }
    }
}
