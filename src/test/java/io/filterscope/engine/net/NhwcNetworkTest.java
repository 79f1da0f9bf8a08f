package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.dl4j.Dl4jReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Channels-last (NHWC) networks, as Keras' TensorFlow models import: the compiled chain keeps its maps NCHW
 * and flattens them in NHWC order, so it must agree with DL4J running the same network in NHWC. Also a
 * dense layer with softmax (how Keras imports end) is exposed as logits.
 */
class NhwcNetworkTest {

    /** conv 3x3 relu - maxpool - conv 3x3 same stride 2 leaky - dense relu - dense softmax, on 3 x 12 x 12, NHWC. */
    private static MultiLayerNetwork nhwc(DataType dtype, long seed) {
        var conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(dtype).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(4).dataFormat(CNN2DFormat.NHWC)
                        .activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("p1").kernelSize(2, 2)
                        .stride(2, 2).dataFormat(CNN2DFormat.NHWC).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("c2").nOut(5).stride(2, 2).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(CNN2DFormat.NHWC).activation(Activation.LEAKYRELU).build())
                .layer(new DenseLayer.Builder().name("d1").nOut(6).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("out").nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(12, 12, 3, CNN2DFormat.NHWC))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void forwardMatchesDl4jRunningNhwc() {
        MultiLayerNetwork dl4j = nhwc(DataType.DOUBLE, 3);
        Network net = Dl4jReader.read(dl4j).compile(DataType.DOUBLE, 2, new long[] {3, 12, 12});
        Nd4j.getRandom().setSeed(4);
        INDArray nchw = Nd4j.rand(DataType.DOUBLE, 2, 3, 12, 12);
        net.input().assign(nchw);
        net.forward(Set.of("out"));
        List<INDArray> reference = dl4j.feedForward(nchw.permute(0, 2, 3, 1).dup(), false);
        String[] names = {"c1", "p1", "c2", "d1"};
        for (int i = 0; i < names.length; i++) {
            INDArray ours = net.output(names[i]);
            INDArray theirs = reference.get(i + 1);
            INDArray oursLikeTheirs = ours.rank() == 4 ? ours.permute(0, 2, 3, 1) : ours;
            assertEquals(0, oursLikeTheirs.sub(theirs).amaxNumber().doubleValue(), 1e-9, names[i]);
        }
        INDArray probabilities = org.nd4j.linalg.ops.transforms.Transforms.softmax(net.output("out"), true);
        assertEquals(0, probabilities.sub(reference.get(5)).amaxNumber().doubleValue(), 1e-9, "softmax of our logits");
        assertTrue(net.toString().contains("flatten (channels last)"), net.toString());
    }

    @Test
    void inputGradientThroughTheChannelsLastFlattenMatchesFiniteDifferences() {
        Network net = Dl4jReader.read(nhwc(DataType.DOUBLE, 5)).compile(DataType.DOUBLE, 2, new long[] {3, 12, 12});
        Nd4j.getRandom().setSeed(6);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 12, 12).subi(0.3);
        FiniteDifferences.assertInputGradient(net, x, Map.of("c2", Nd4j.randn(DataType.DOUBLE, 2, 5, 3, 3),
                "out", Nd4j.randn(DataType.DOUBLE, 2, 3)), 6, 1e-6);
    }

    @Test
    void softmaxBeforeTheLastLayerIsRefused() {
        var conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(2).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("d1").nOut(4).activation(Activation.SOFTMAX).build())
                .layer(new DenseLayer.Builder().name("d2").nOut(2).activation(Activation.RELU).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
        MultiLayerNetwork dl4j = new MultiLayerNetwork(conf);
        dl4j.init();
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                () -> Dl4jReader.read(dl4j).compile(DataType.FLOAT, 1, new long[] {1, 6, 6}));
        assertTrue(e.getMessage().contains("d1") && e.getMessage().contains("softmax"), e.getMessage());
    }

    @Test
    void softmaxActivationLayerAfterADenseLayerLeavesItsLogits() {
        var conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.DOUBLE).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(2).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("logits").nOut(4).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().name("predictions").activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
        MultiLayerNetwork dl4j = new MultiLayerNetwork(conf);
        dl4j.init();
        Network net = Dl4jReader.read(dl4j).compile(DataType.DOUBLE, 1, new long[] {1, 6, 6});
        assertEquals(List.of("c1", "logits"), net.layers().stream().map(LayerInfo::name).toList());
    }
}
