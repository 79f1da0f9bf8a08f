package io.filterscope.engine.optimizer;

import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam (Kingma and Ba; beta1 0.9, beta2 0.999, epsilon 1e-8 added to sqrt(v)), Lucid's default optimizer; its moments
 * start at zero with the run. One libnd4j op ({@code adam_updater}) updates both moments and gives the step, where the
 * same formula as separate array ops took twelve native calls a step (a fifteenth of a 28 px batch-30 step,
 * docs/performance.md). Each row (image) has its own step count, so rows of runs that started at different times
 * share one update: the op runs at step 1's bias correction and unit rate, and each row's step is then scaled by its
 * own rate and correction, one multiply by a column.
 */
public final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    /** The adam_updater's rate at its first step with a rate of 1: sqrt(1 - beta2) / (1 - beta1). */
    private static final double FIRST = Math.sqrt(1 - BETA2) / (1 - BETA1);
    private final INDArray m;
    private final INDArray v;
    /** Steps each row has taken: its bias correction's t is this after the step, from 1. */
    private final int[] t;

    /** An optimizer for {@code parameter} ([n, ...]), its moments zero. */
    public Adam(INDArray parameter) {
        this(Workspaces.persistent(parameter::like), Workspaces.persistent(parameter::like), new int[(int) parameter.size(0)]);
    }

    private Adam(INDArray m, INDArray v, int[] t) {
        this.m = m;
        this.v = v;
        this.t = t;
    }

    @Override
    public void step(INDArray parameter, INDArray gradient, double[] stepSizes) {
        if (stepSizes.length != t.length || !Arrays.equals(gradient.shape(), m.shape())) {
            throw new IllegalArgumentException("an Adam of " + Arrays.toString(m.shape()) + " given a gradient of "
                    + Arrays.toString(gradient.shape()) + " and " + stepSizes.length + " step sizes");
        }
        // A new array for the step: the gradient may be the regularizers' image gradient, which they read after this.
        INDArray update = Nd4j.createUninitialized(gradient.dataType(), gradient.shape());
        Nd4j.exec(new AdamUpdater(gradient, v, m, update, v, m, 1.0, BETA1, BETA2, EPSILON, 0));
        double[] scale = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            t[i]++;
            scale[i] = stepSizes[i] * Math.sqrt(1 - Math.pow(BETA2, t[i])) / (1 - Math.pow(BETA1, t[i])) / FIRST;
        }
        update.reshape('c', t.length, update.length() / t.length)
                .muliColumnVector(Nd4j.createFromArray(scale).castTo(update.dataType()).reshape(t.length, 1));
        parameter.addi(update);
    }

    @Override
    public Optimizer stack(List<Optimizer> parts) {
        List<Adam> adams = parts.stream().map(Adam.class::cast).toList();
        int[] steps = adams.stream().flatMapToInt(a -> Arrays.stream(a.t)).toArray();
        return Workspaces.persistent(() -> new Adam(Nd4j.concat(0, adams.stream().map(a -> a.m).toArray(INDArray[]::new)),
                Nd4j.concat(0, adams.stream().map(a -> a.v).toArray(INDArray[]::new)), steps));
    }

    @Override
    public void unstack(Optimizer stacked, int first) {
        Adam all = (Adam) stacked;
        m.assign(Network.rows(all.m, first, first + t.length));
        v.assign(Network.rows(all.v, first, first + t.length));
        System.arraycopy(all.t, first, t, 0, t.length);
    }
}
