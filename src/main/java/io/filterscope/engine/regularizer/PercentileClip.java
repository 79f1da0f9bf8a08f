package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Yosinski et al.'s two clippings: pixels whose norm (distance from mid-grey over the channels) is below a
 * percentile, or whose contribution to the objective is, are reset to mid-grey. A pixel's contribution is
 * |sum over channels of (pixel - grey) * gradient|: how much the objective would change were it grey.
 * Pixels tied with the threshold are reset too. All of it runs as device ops, on the pixel
 * parameterization only.
 *
 * @param percentile share of each image's pixels to reset, 0 to 100
 */
public record PercentileClip(double percentile, boolean byContribution) implements Regularizer {

    public static PercentileClip byNorm(double percentile) {
        return new PercentileClip(percentile, false);
    }

    public static PercentileClip byContribution(double percentile) {
        return new PercentileClip(percentile, true);
    }

    @Override
    public void apply(Parameterization image, INDArray imageGradient, int step) {
        if (!image.isPixels() || percentile <= 0) {
            return;
        }
        INDArray x = image.parameter();
        INDArray grey = image.neutral();
        long n = x.size(0);
        long h = x.size(2);
        long w = x.size(3);
        INDArray offset = x.dup('c');                                             // [n, c, h, w]
        Nd4j.exec(new BroadcastSubOp(offset, grey, offset, 1));
        INDArray score = byContribution
                ? Transforms.abs(offset.mul(imageGradient).sum(1), false)
                : offset.mul(offset).sum(1);                                      // [n, h, w]
        INDArray rows = score.reshape('c', n, h * w);
        int cut = (int) Math.round(percentile / 100 * h * w);
        if (cut == 0) {
            return;
        }
        // Each image's threshold is its cut-th smallest score; sorting runs on the device like the rest.
        INDArray sorted = Nd4j.sort(rows.dup('c'), 1, true);
        INDArray threshold = sorted.get(NDArrayIndex.all(), NDArrayIndex.point(Math.min(cut, h * w) - 1)).reshape(n, 1);
        INDArray keep = rows.subColumnVector(threshold).gt(0).castTo(x.dataType()).reshape('c', n, h, w);
        Nd4j.exec(new BroadcastMulOp(offset, keep, offset, 0, 2, 3));
        Nd4j.exec(new BroadcastAddOp(offset, grey, offset, 1));
        x.assign(offset);
    }
}
