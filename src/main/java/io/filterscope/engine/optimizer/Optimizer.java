package io.filterscope.engine.optimizer;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Moves the parameter up its gradient (we maximize). Keeps whatever state it needs between steps. */
public interface Optimizer {

    /**
     * @param parameter changed in place, [n, ...]
     * @param gradient  d(objective)/d(parameter), same shape
     * @param stepSize  how far to go this step, in parameter units (see {@link OptimizerSettings#stepSize})
     */
    void step(INDArray parameter, INDArray gradient, double stepSize);
}
