package io.filterscope.engine;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small random networks built by the tests themselves. */
public final class TestNets {
    private TestNets() {
    }

    /**
     * conv(3x3, 4) relu - conv(3x3 stride 2, 5, same) leaky relu - maxpool - avgpool-free dense(6) relu - output(3),
     * on 1 x 12 x 12 inputs: every stage kind and both convolution gradient paths.
     */
    public static MultiLayerNetwork small(DataType dtype, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(dtype).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(4).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("c2").nOut(5).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.LEAKYRELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("p1")
                        .kernelSize(2, 2).stride(1, 1).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("c3").nOut(6).padding(1, 1).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("d1").nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(12, 12, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
