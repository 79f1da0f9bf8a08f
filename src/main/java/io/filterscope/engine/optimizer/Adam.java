package io.filterscope.engine.optimizer;

import io.filterscope.engine.Workspaces;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Adam (Kingma and Ba; beta1 0.9, beta2 0.999), Lucid's default optimizer; its moments start at zero with the run. */
public final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    private INDArray m;
    private INDArray v;
    private int t;

    @Override
    public void step(INDArray parameter, INDArray gradient, double stepSize) {
        if (m == null) {
            m = Workspaces.persistent(gradient::like);
            v = Workspaces.persistent(gradient::like);
        }
        t++;
        m.muli(BETA1).addi(gradient.mul(1 - BETA1));
        v.muli(BETA2).addi(gradient.mul(gradient).muli(1 - BETA2));
        double lr = stepSize * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t));
        parameter.addi(m.div(Transforms.sqrt(v, true).addi(EPSILON)).muli(lr));
    }
}
