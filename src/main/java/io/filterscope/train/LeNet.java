package io.filterscope.train;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The bundled models' architecture: four 3x3 convolutions (32, 32, 64, 64 filters, ReLU) with a 2x2 max
 * pool after the second and the fourth, then one dense softmax layer. It is the "LeNet" of the PyTorch
 * reference benchmark, so our bundled models and the reference measure the same work.
 */
public final class LeNet {
    private LeNet() {
    }

    public static MultiLayerNetwork create(int side, int channels, int classes, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(new Adam(1e-3))
                .l2(1e-5)
                .list()
                .layer(conv("conv1", 32))
                .layer(conv("conv2", 32))
                .layer(pool("pool1"))
                .layer(conv("conv3", 64))
                .layer(conv("conv4", 64))
                .layer(pool("pool2"))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output")
                        .nOut(classes).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                .setInputType(InputType.convolutional(side, side, channels))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static ConvolutionLayer conv(String name, int filters) {
        return new ConvolutionLayer.Builder(3, 3).name(name).nOut(filters).activation(Activation.RELU).build();
    }

    private static SubsamplingLayer pool(String name) {
        return new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name(name)
                .kernelSize(2, 2).stride(2, 2).build();
    }
}
