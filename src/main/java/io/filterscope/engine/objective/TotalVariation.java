package io.filterscope.engine.objective;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Total variation of the image: the mean squared difference between neighbouring pixels, in input units
 * (Mahendran and Vedaldi; Lucid's {@code total_variation}). Subtracted from an objective, it favours smooth
 * images; it works through the gradient, so it applies to every parameterization.
 */
public record TotalVariation() implements ImageTerm {

    @Override
    public double[] evaluateAll(StepTensors t, double weight) {
        return accumulate(t.image(), t.imageGradient(), weight);
    }

    /** Adds {@code weight * d(TV)/d(image)} to {@code gradient} (both [n, c, h, w]) and returns TV per image. */
    static double[] accumulate(INDArray image, INDArray gradient, double weight) {
        long n = image.size(0);
        long h = image.size(2);
        long w = image.size(3);
        double perImage = image.length() / (double) n;
        INDArray dy = image.get(all(), all(), interval(1, h), all()).sub(image.get(all(), all(), interval(0, h - 1), all()));
        INDArray dx = image.get(all(), all(), all(), interval(1, w)).sub(image.get(all(), all(), all(), interval(0, w - 1)));
        double scale = 2 * weight / perImage;
        gradient.get(all(), all(), interval(1, h), all()).addi(dy.mul(scale));
        gradient.get(all(), all(), interval(0, h - 1), all()).subi(dy.mul(scale));
        gradient.get(all(), all(), all(), interval(1, w)).addi(dx.mul(scale));
        gradient.get(all(), all(), all(), interval(0, w - 1)).subi(dx.mul(scale));
        double[] tv = new double[(int) n];
        for (int i = 0; i < n; i++) {
            double sy = dy.get(point(i)).norm2Number().doubleValue();
            double sx = dx.get(point(i)).norm2Number().doubleValue();
            tv[i] = (sy * sy + sx * sx) / perImage;
        }
        return tv;
    }

    @Override
    public String label() {
        return "tv";
    }
}
