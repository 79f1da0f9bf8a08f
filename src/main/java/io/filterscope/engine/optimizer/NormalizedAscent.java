package io.filterscope.engine.optimizer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Keras blog's update: the gradient divided by its root-mean-square (per image), times the step size.
 * Normalizing makes the step size mean the same on every layer, however large its activations.
 */
public final class NormalizedAscent implements Optimizer {
    @Override
    public void step(INDArray parameter, INDArray gradient, double stepSize) {
        long n = gradient.size(0);
        INDArray rows = gradient.reshape('c', n, gradient.length() / n);
        INDArray rms = rows.norm2(1).divi(Math.sqrt(rows.size(1))).addi(1e-8);
        INDArray normalized = rows.divColumnVector(rms.reshape(n, 1)).muli(stepSize);
        parameter.addi(normalized.reshape('c', parameter.shape()));
    }
}
