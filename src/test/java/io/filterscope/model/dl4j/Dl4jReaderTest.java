package io.filterscope.model.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.UnsupportedLayerException;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.buffer.DataType;

class Dl4jReaderTest {

    private static MultiLayerNetwork convWith(IActivation fn) {
        var conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.DOUBLE).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(2).activation(fn).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /**
     * DL4J's ReLU with a maximum, threshold or slope (whose toString() is "relu" for all) and its other
     * activations compute what DL4J's own forward pass computes.
     */
    @Test
    void activationsComputeAsDl4jDoes() {
        for (IActivation fn : new IActivation[] {new ActivationReLU(), new ActivationReLU(0.6, null, null),
            new ActivationReLU(null, 0.2, null), new ActivationReLU(0.8, 0.1, 0.3), new ActivationReLU6(), new ActivationLReLU(0.2),
            new ActivationThresholdedReLU(0.3), new ActivationELU(0.7), new ActivationSELU(), new ActivationSigmoid(),
            new ActivationTanH(), new ActivationSwish(), new ActivationHardSigmoid(), new ActivationSoftPlus(), new ActivationSoftSign()}) {
            MultiLayerNetwork dl4j = convWith(fn);
            Network net = Dl4jReader.read(dl4j).compile(DataType.DOUBLE, 2, new long[] {1, 6, 6});
            INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 1, 6, 6).muli(4).subi(2);
            net.input().assign(x);
            net.forward(List.of("c1"));
            double diff = net.output("c1").sub(dl4j.output(x)).amaxNumber().doubleValue();
            // (DL4J computes some with float constants: its hard sigmoid's 0.2 is 0.2f.)
            assertTrue(diff < 1e-7, fn + " (" + fn.getClass().getSimpleName() + ") differs from DL4J by " + diff);
        }
    }

    @Test
    void plainReluReadsAsTheLayersConvolutionAndActivation() {
        assertEquals(List.of("c1"), Dl4jReader.read(convWith(new ActivationReLU())).layerNames());
    }

    @Test
    void anActivationWithoutAnEngineOpIsRefusedByName() {
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                () -> Dl4jReader.read(convWith(new org.nd4j.linalg.activations.impl.ActivationCube())));
        assertTrue(e.getMessage().startsWith("layer c1: activation"), e.getMessage());
    }
}
