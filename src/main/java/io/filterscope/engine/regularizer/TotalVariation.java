package io.filterscope.engine.regularizer;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Penalty on differences between neighbouring pixels (mean squared difference, in input units): it
 * favours smooth images. Unlike the other regularizers it works through the gradient, so it applies to
 * every parameterization.
 */
public final class TotalVariation {
    private TotalVariation() {
    }

    /** Adds {@code -weight * d(TV)/d(image)} to the gradient and returns TV per image. */
    public static double[] addGradient(INDArray image, INDArray gradient, double weight) {
        long n = image.size(0);
        long h = image.size(2);
        long w = image.size(3);
        double perImage = image.length() / (double) n;
        INDArray dy = image.get(all(), all(), interval(1, h), all()).sub(image.get(all(), all(), interval(0, h - 1), all()));
        INDArray dx = image.get(all(), all(), all(), interval(1, w)).sub(image.get(all(), all(), all(), interval(0, w - 1)));
        double scale = 2 * weight / perImage;
        gradient.get(all(), all(), interval(1, h), all()).subi(dy.mul(scale));
        gradient.get(all(), all(), interval(0, h - 1), all()).addi(dy.mul(scale));
        gradient.get(all(), all(), all(), interval(1, w)).subi(dx.mul(scale));
        gradient.get(all(), all(), all(), interval(0, w - 1)).addi(dx.mul(scale));
        double[] tv = new double[(int) n];
        for (int i = 0; i < n; i++) {
            double sy = dy.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).norm2Number().doubleValue();
            double sx = dx.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).norm2Number().doubleValue();
            tv[i] = (sy * sy + sx * sx) / perImage;
        }
        return tv;
    }
}
