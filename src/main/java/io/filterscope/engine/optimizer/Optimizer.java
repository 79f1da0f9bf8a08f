package io.filterscope.engine.optimizer;

import io.filterscope.engine.RowState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Moves the parameter up its gradient (we maximize). Keeps whatever state it needs between steps, per row of the
 * parameter (one image each), so that the optimizers of runs that share a step can be one for all their rows.
 */
public interface Optimizer extends RowState<Optimizer> {

    /**
     * @param parameter changed in place, [n, ...]
     * @param gradient  d(objective)/d(parameter), same shape
     * @param stepSizes how far to go this step, per row (n values), in parameter units (see {@link OptimizerSettings#stepSize})
     */
    void step(INDArray parameter, INDArray gradient, double[] stepSizes);
}
