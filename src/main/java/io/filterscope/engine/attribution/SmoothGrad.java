package io.filterscope.engine.attribution;

import io.filterscope.engine.net.Network;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017): the gradient saliency
 * averaged over copies of the image with Gaussian noise added, which keeps the edges of what matters and
 * averages away the pixel-level noise of a single gradient. The paper finds 10-20% of the input's range
 * as the noise's standard deviation and a few dozen samples work best.
 *
 * @param samples how many noisy copies (at least 1)
 * @param sigma   the noise's standard deviation, in the model's input units
 * @param seed    seeds the noise, so a map is reproducible
 */
public record SmoothGrad(int samples, double sigma, long seed) implements Attribution {
    public SmoothGrad {
        if (samples < 1 || sigma < 0) {
            throw new IllegalArgumentException("SmoothGrad needs at least one sample and a noise level of 0 or more");
        }
    }

    @Override
    public float[][] explain(Network net, INDArray image, String output, int cls) {
        INDArray sum = Nd4j.zeros(image.dataType(), image.shape());
        Random rng = new Random(seed);
        double[] noise = new double[(int) image.length()];
        for (int i = 0; i < samples; i++) {
            for (int k = 0; k < noise.length; k++) {
                noise[k] = sigma * rng.nextGaussian();
            }
            INDArray noisy = image.add(Nd4j.create(noise, image.shape()).castTo(image.dataType()));
            sum.addi(Saliency.gradient(net, noisy, output, cls));
        }
        return Heatmaps.scaleToUnit(Heatmaps.maxAbsOverChannels(sum.divi(samples)));
    }
}
