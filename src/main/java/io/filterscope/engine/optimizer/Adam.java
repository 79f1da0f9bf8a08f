package io.filterscope.engine.optimizer;

import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.RenderParams;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Adam (beta1 0.9, beta2 0.999), Lucid's default optimizer; its moments start at zero with the run. */
public final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    private INDArray m;
    private INDArray v;
    private int t;

    @Override
    public void step(INDArray parameter, INDArray gradient, RenderParams params, int step, double scale) {
        if (m == null) {
            m = AscentRun.persistent(gradient::like);
            v = AscentRun.persistent(gradient::like);
        }
        t++;
        m.muli(BETA1).addi(gradient.mul(1 - BETA1));
        v.muli(BETA2).addi(gradient.mul(gradient).muli(1 - BETA2));
        double lr = params.stepSize(step) * scale * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t));
        parameter.addi(m.div(Transforms.sqrt(v, true).addi(EPSILON)).muli(lr));
    }
}
