package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Shrinks the image towards mid-grey by a constant factor every step, so only pixels that keep helping stay
 * bright (Yosinski et al.'s L2 decay).
 *
 * @param factor what the distance from grey is multiplied by each step, in (0, 1]
 */
public record L2Decay(double factor) implements Regularizer {
    @Override
    public void apply(Parameterization image, INDArray imageGradient, int step) {
        INDArray x = image.parameter();
        INDArray n = image.neutral();
        Nd4j.exec(new BroadcastSubOp(x, n, x, 1));
        x.muli(factor);
        Nd4j.exec(new BroadcastAddOp(x, n, x, 1));
    }

    @Override
    public boolean rowWise() {
        return true;
    }
}
