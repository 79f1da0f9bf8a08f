package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.render.RenderParams;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;

/** Shrinks the image towards mid-grey by a constant factor every step, so only pixels that keep helping stay bright. */
public final class L2Decay implements Regularizer {
    @Override
    public void apply(Parameterization image, INDArray imageGradient, RenderParams params, int step) {
        if (params.l2Decay() < 1) {
            INDArray x = image.parameter();
            INDArray n = image.neutral();
            Nd4j.exec(new BroadcastSubOp(x, n, x, 1));
            x.muli(params.l2Decay());
            Nd4j.exec(new BroadcastAddOp(x, n, x, 1));
        }
    }
}
