package io.filterscope.engine.optimizer;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Keras blog's update: the gradient divided by its root-mean-square (per image), times the step size.
 * Normalizing makes the step size mean the same on every layer, however large its activations. It keeps no state.
 */
public final class NormalizedAscent implements Optimizer {
    @Override
    public void step(INDArray parameter, INDArray gradient, double[] stepSizes) {
        long n = gradient.size(0);
        INDArray rows = gradient.reshape('c', n, gradient.length() / n);
        INDArray rms = rows.norm2(1).divi(Math.sqrt(rows.size(1))).addi(1e-8);
        INDArray normalized = rows.divColumnVector(rms.reshape(n, 1))
                .muliColumnVector(Nd4j.createFromArray(stepSizes).castTo(rows.dataType()).reshape(n, 1));
        parameter.addi(normalized.reshape('c', parameter.shape()));
    }

    @Override
    public Optimizer stack(List<Optimizer> parts) {
        return this;
    }

    @Override
    public void unstack(Optimizer stacked, int first) {
        // Nothing is kept between steps.
    }
}
