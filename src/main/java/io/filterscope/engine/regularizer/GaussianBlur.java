package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Blurs the image every {@code every} steps, with a sigma that shrinks by {@code decay} after each blur
 * (Yosinski et al.): early blurs remove high-frequency noise, later ones let detail form. Two 1-D
 * convolutions on the device; dividing by the blurred all-ones image keeps the borders from darkening.
 * It acts on pixels, so only on the pixel parameterization.
 *
 * @param sigma the first blur's standard deviation, in pixels
 * @param every blur after every this many steps
 * @param decay sigma is multiplied by this after each blur
 */
public record GaussianBlur(double sigma, int every, double decay) implements Regularizer {
    @Override
    public void apply(Parameterization image, INDArray imageGradient, int step) {
        if (!image.isPixels() || (step + 1) % every != 0) {
            return;
        }
        double now = sigma * Math.pow(decay, (step + 1) / every - 1);
        if (now < 0.1) {
            return;
        }
        INDArray x = image.parameter();
        x.assign(blur(x, now));
    }

    /** The image blurred with the given sigma, edges normalized; {@code x} is [n, c, h, w]. */
    public static INDArray blur(INDArray x, double sigma) {
        long[] s = x.shape();
        INDArray planes = x.dup('c').reshape('c', s[0] * s[1], 1, s[2], s[3]);
        INDArray kernel = kernel(sigma, x.dataType());
        INDArray blurred = separable(planes, kernel);
        INDArray ones = Nd4j.ones(x.dataType(), 1, 1, s[2], s[3]);
        INDArray norm = separable(ones, kernel);
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp(blurred, norm.reshape(s[2], s[3]),
                blurred, 2, 3));
        return blurred.reshape('c', s);
    }

    private static INDArray separable(INDArray planes, INDArray kernel) {
        int k = (int) kernel.length();
        int r = k / 2;
        INDArray horizontal = planes.like();
        conv(planes, kernel.reshape(1, 1, 1, k), horizontal, 1, k, 0, r);
        INDArray both = planes.like();
        conv(horizontal, kernel.reshape(1, 1, k, 1), both, k, 1, r, 0);
        return both;
    }

    private static void conv(INDArray in, INDArray w, INDArray out, int kh, int kw, int ph, int pw) {
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in, w).addOutputs(out)
                .addIntegerArguments(kh, kw, 1, 1, ph, pw, 1, 1, 0, 0, 1).build());
    }

    private static INDArray kernel(double sigma, org.nd4j.linalg.api.buffer.DataType dtype) {
        int r = Math.max(1, (int) Math.ceil(3 * sigma));
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            k[i + r] = Math.exp(-0.5 * (i / sigma) * (i / sigma));
            sum += k[i + r];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        return Nd4j.create(k).castTo(dtype);
    }
}
