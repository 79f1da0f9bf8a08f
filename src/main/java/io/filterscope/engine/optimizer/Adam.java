package io.filterscope.engine.optimizer;

import io.filterscope.engine.Workspaces;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam (Kingma and Ba; beta1 0.9, beta2 0.999, epsilon 1e-8 added to sqrt(v)), Lucid's default optimizer; its moments
 * start at zero with the run. One libnd4j op ({@code adam_updater}) updates both moments and gives the step, where the
 * same formula as separate array ops took twelve native calls a step (a fifteenth of a 28 px batch-30 step,
 * docs/performance.md); the two agree to float rounding.
 */
public final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    private INDArray m;
    private INDArray v;
    /** Steps taken: the bias correction's t is this after the step, from 1. */
    private int t;

    @Override
    public void step(INDArray parameter, INDArray gradient, double stepSize) {
        if (m == null) {
            m = Workspaces.persistent(gradient::like);
            v = Workspaces.persistent(gradient::like);
        }
        // A new array for the step: the gradient may be the regularizers' image gradient, which they read after this.
        INDArray update = Nd4j.createUninitialized(gradient.dataType(), gradient.shape());
        Nd4j.exec(new AdamUpdater(gradient, v, m, update, v, m, stepSize, BETA1, BETA2, EPSILON, t));
        t++;
        parameter.addi(update);
    }
}
