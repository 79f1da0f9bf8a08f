package io.filterscope.engine;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
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

    /**
     * A small graph on 3 x 10 x 10 inputs with every joining vertex: batch norm (random running statistics)
     * feeding a residual addition, a convolution and a padded branch; a subtraction, a product, a
     * four-way concatenation, global average, max and sum pooling averaged together, and a dense output.
     */
    public static ComputationGraph graph(DataType dtype, long seed) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(dtype).weightInit(WeightInit.XAVIER).activation(Activation.IDENTITY)
                .graphBuilder().addInputs("in")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "c1")
                .addLayer("b2", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "bn")
                .addLayer("pad", new ZeroPaddingLayer.Builder(1, 1, 1, 1).build(), "bn")
                .addLayer("c3", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.LEAKYRELU).build(), "pad")
                .addVertex("res", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn", "b2")
                .addVertex("diff", new ElementWiseVertex(ElementWiseVertex.Op.Subtract), "res", "bn")
                .addVertex("prod", new ElementWiseVertex(ElementWiseVertex.Op.Product), "res", "b2")
                .addVertex("cat", new MergeVertex(), "res", "c3", "prod", "diff")
                .addLayer("act", new ActivationLayer.Builder().activation(Activation.RELU).build(), "cat")
                .addLayer("pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .kernelSize(2, 2).stride(2, 2).build(), "act")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "pool")
                .addLayer("gmax", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "pool")
                .addLayer("gsum", new GlobalPoolingLayer.Builder(PoolingType.SUM).build(), "pool")
                .addVertex("mix", new ElementWiseVertex(ElementWiseVertex.Op.Average), "gap", "gmax", "gsum")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "mix")
                .setOutputs("out").setInputTypes(InputType.convolutional(10, 10, 3))
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        randomizeBatchNorm(graph, seed);
        return graph;
    }

    /** Gives every batch norm layer random running statistics, scale and shift (fresh ones are the identity). */
    public static void randomizeBatchNorm(ComputationGraph graph, long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                layer.paramTable().forEach(TestNets::randomize);
            }
        }
    }

    private static void randomize(String key, org.nd4j.linalg.api.ndarray.INDArray p) {
        var r = Nd4j.rand(p.dataType(), p.shape());
        switch (key) {
            case "gamma", "var" -> p.assign(r.addi(0.5));
            case "beta", "mean", "log10stdev" -> p.assign(r.subi(0.5).muli(0.4));
            default -> throw new IllegalStateException("unexpected batch norm parameter " + key);
        }
    }
}
