package io.filterscope.engine.optimizer;

import io.filterscope.engine.render.RenderParams;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Moves the parameter up its gradient (we maximize). Keeps whatever state it needs between steps. */
public interface Optimizer {

    /** @param scale how far one unit of {@code lr} moves this parameter */
    void step(INDArray parameter, INDArray gradient, RenderParams params, int step, double scale);

    static Optimizer named(String name) {
        return name.equals("adam") ? new Adam() : new NormalizedAscent();
    }
}
