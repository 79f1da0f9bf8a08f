package io.filterscope.engine.attribution;

import io.filterscope.engine.net.Network;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Which pixels of one image a network's score for one class rests on: the answer to "which part of my
 * image made it say Bag?". Implementations are the usual methods of attribution: {@link GradCam},
 * {@link Saliency}, {@link SmoothGrad}.
 */
public interface Attribution {

    /**
     * @param net    a network compiled for a batch of one, at the image's size
     * @param image  [1, channels, height, width], in the model's input units
     * @param output the layer whose units are the class scores (logits, [1, classes])
     * @param cls    the class to explain
     * @return [height][width] at the image's size, in [0, 1]: 1 where the evidence is strongest, all 0 when
     *         there is none
     * @throws IllegalArgumentException for a layer the network does not have or one a method cannot use
     */
    float[][] explain(Network net, INDArray image, String output, int cls);

    /** Runs the image forward to {@code layers} and places d(score of {@code cls})/d(output) = one-hot. */
    static void forwardAndSeed(Network net, INDArray image, String output, int cls, java.util.List<String> layers) {
        long classes = net.layer(output) == null ? 0 : net.layer(output).channels();
        if (cls < 0 || cls >= classes) {
            throw new IllegalArgumentException("class " + cls + " is out of range: layer " + output + " has " + classes + " units");
        }
        net.input().assign(image);
        net.forward(layers);
        net.clearGradients(java.util.List.of(output));
        net.gradient(output).putScalar(new long[] {0, cls}, 1.0);
    }
}
