package io.filterscope.engine.objective;

import io.filterscope.engine.HostArrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The image's mean distance from mid-grey, {@code mean |x - grey|^p} over channels and pixels in input
 * units, for p = 1 (L1) or 2 (L2): Lucid's {@code L1} and {@code L2} objectives on the input. Subtracted from
 * an objective, it keeps pixels near grey unless they earn their place.
 */
public record ImageNorm(int p) implements ImageTerm {
    public static final ImageNorm L1 = new ImageNorm(1);
    public static final ImageNorm L2 = new ImageNorm(2);

    public ImageNorm {
        if (p != 1 && p != 2) {
            throw new IllegalArgumentException("p must be 1 or 2, got " + p);
        }
    }

    @Override
    public double[] evaluateAll(StepTensors t, double weight) {
        return accumulate(t.image(), t.grey(), t.imageGradient(), weight);
    }

    /** Adds {@code weight} times the gradient to {@code gradient} ([n, c, h, w]) and returns the value per image. */
    private double[] accumulate(INDArray image, INDArray grey, INDArray gradient, double weight) {
        INDArray offset = image.dup('c');
        Nd4j.exec(new BroadcastSubOp(offset, grey, offset, 1));
        double perImage = image.length() / (double) image.size(0);
        INDArray magnitude = p == 1 ? Transforms.abs(offset, true) : offset.mul(offset);
        gradient.addi(p == 1 ? Transforms.sign(offset, false).muli(weight / perImage) : offset.muli(2 * weight / perImage));
        double[] means = HostArrays.rowSums(magnitude);
        for (int i = 0; i < means.length; i++) {
            means[i] /= perImage;
        }
        return means;
    }

    @Override
    public String label() {
        return "l" + p;
    }
}
