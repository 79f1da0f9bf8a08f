package io.filterscope.engine.optimizer;

import io.filterscope.engine.HostArrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Keras blog's update: the gradient divided by its root-mean-square (per image), times the step size.
 * Normalizing makes the step size mean the same on every layer, however large its activations. It keeps no state.
 */
public final class NormalizedAscent implements Optimizer {
    /** Added to each image's root-mean-square, so that a zero gradient moves nothing instead of dividing by zero. */
    static final double EPSILON = 1e-8;

    /**
     * {@code parameter[i] += stepSizes[i] / (rms(gradient[i]) + EPSILON) * gradient[i]} for each image i. Each image's
     * factor is worked out on the host from its sum of squares ({@link HostArrays#rowSums}, the same bits alone and in a
     * batch), so the update is four ops (square, sum, product, sum) where dividing and scaling on the device took eight.
     */
    @Override
    public void step(INDArray parameter, INDArray gradient, double[] stepSizes) {
        long n = gradient.size(0);
        INDArray rows = gradient.reshape('c', n, gradient.length() / n);
        double[] squares = HostArrays.rowSums(rows.mul(rows));
        double root = Math.sqrt(rows.size(1));
        double[] factors = new double[(int) n];
        for (int i = 0; i < n; i++) {
            factors[i] = stepSizes[i] / (Math.sqrt(squares[i]) / root + EPSILON);
        }
        parameter.addi(rows.mulColumnVector(HostArrays.of(factors, rows.dataType(), n, 1)).reshape('c', parameter.shape()));
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
