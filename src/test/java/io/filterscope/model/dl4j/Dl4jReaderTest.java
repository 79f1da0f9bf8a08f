package io.filterscope.model.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.UnsupportedLayerException;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;

class Dl4jReaderTest {

    private static MultiLayerNetwork convWith(ActivationReLU relu) {
        var conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(2).activation(relu).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void reluWithAMaximumThresholdOrSlopeIsRefusedNotRunAsAPlainRelu() {
        // DL4J's toString() of these is "relu" for all of them: the options themselves must be read.
        for (ActivationReLU relu : new ActivationReLU[] {new ActivationReLU(6.0, null, null),
            new ActivationReLU(null, 0.5, null), new ActivationReLU(null, null, 0.1)}) {
            UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                    () -> Dl4jReader.read(convWith(relu)));
            assertTrue(e.getMessage().startsWith("layer c1: ReLU with"), e.getMessage());
        }
    }

    @Test
    void plainReluReadsAsTheLayersConvolutionAndActivation() {
        assertEquals(List.of("c1"), Dl4jReader.read(convWith(new ActivationReLU())).layerNames());
    }
}
