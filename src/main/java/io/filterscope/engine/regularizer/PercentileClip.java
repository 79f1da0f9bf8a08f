package io.filterscope.engine.regularizer;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.render.RenderParams;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Yosinski et al.'s two clippings: pixels whose norm (distance from mid-grey over the channels) is below a
 * percentile, or whose contribution to the objective is, are reset to mid-grey. A pixel's contribution is
 * |sum over channels of (pixel - grey) * gradient|: how much the objective would change were it grey.
 */
public final class PercentileClip implements Regularizer {
    private final boolean byContribution;

    private PercentileClip(boolean byContribution) {
        this.byContribution = byContribution;
    }

    public static PercentileClip byNorm() {
        return new PercentileClip(false);
    }

    public static PercentileClip byContribution() {
        return new PercentileClip(true);
    }

    @Override
    public void apply(Parameterization image, INDArray imageGradient, RenderParams params, int step) {
        double percentile = byContribution ? params.clipContribPercentile() : params.clipNormPercentile();
        if (!image.isPixels() || percentile <= 0) {
            return;
        }
        INDArray x = image.parameter();
        double grey = image.neutral();
        for (long n = 0; n < x.size(0); n++) {
            INDArray offset = x.get(point(n)).sub(grey);                        // [c, h, w]
            INDArray score = byContribution
                    ? offset.mul(imageGradient.get(point(n))).sum(0)
                    : offset.mul(offset).sum(0);                                // [h, w]
            double[] values = score.dup('c').data().asDouble();
            for (int i = 0; i < values.length; i++) {
                values[i] = Math.abs(values[i]);
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int cut = (int) Math.round(percentile / 100 * sorted.length);
            if (cut == 0) {
                continue;
            }
            double threshold = sorted[Math.min(cut, sorted.length) - 1];
            long width = x.size(3);
            int cleared = 0;
            for (int i = 0; i < values.length && cleared < cut; i++) {
                if (values[i] <= threshold) {
                    offset.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), point(i / width), point(i % width)).assign(0);
                    cleared++;
                }
            }
            x.get(point(n)).assign(offset.addi(grey));
        }
    }
}
