package io.filterscope.model;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * VGG16's convolutional part ("notop"), with Keras' layer names (block1_conv1 .. block5_pool): the part
 * the feature-visualization write-ups use, and what pretrained notop weights fill. Random weights here.
 * VGG19's is the same with a fourth convolution in blocks 3 to 5.
 */
public final class Vgg16 {
    private static final int[][] BLOCKS = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
    private static final int[][] VGG19_BLOCKS = {{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512},
        {512, 512, 512, 512}};

    private Vgg16() {
    }

    /** The convolutional layers' names, in order: block1_conv1, block1_conv2, block2_conv1, ... block5_conv3. */
    public static List<String> convLayerNames() {
        return convLayerNames(BLOCKS);
    }

    /** VGG19's convolutional layers' names, in order: block1_conv1 .. block5_conv4. */
    public static List<String> vgg19ConvLayerNames() {
        return convLayerNames(VGG19_BLOCKS);
    }

    private static List<String> convLayerNames(int[][] blocks) {
        List<String> names = new ArrayList<>();
        for (int b = 0; b < blocks.length; b++) {
            for (int c = 0; c < blocks[b].length; c++) {
                names.add(convName(b, c));
            }
        }
        return names;
    }

    private static String convName(int block, int conv) {
        return "block" + (block + 1) + "_conv" + (conv + 1);
    }

    public static MultiLayerNetwork notop(int size, long seed) {
        return notop(BLOCKS, size, seed);
    }

    public static MultiLayerNetwork vgg19Notop(int size, long seed) {
        return notop(VGG19_BLOCKS, size, seed);
    }

    private static MultiLayerNetwork notop(int[][] blocks, int size, long seed) {
        var list = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Same).list();
        for (int b = 0; b < blocks.length; b++) {
            for (int c = 0; c < blocks[b].length; c++) {
                list.layer(new ConvolutionLayer.Builder(3, 3).name(convName(b, c))
                        .nOut(blocks[b][c]).activation(Activation.RELU).build());
            }
            list.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("block" + (b + 1) + "_pool")
                    .kernelSize(2, 2).stride(2, 2).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.setInputType(InputType.convolutional(size, size, 3)).build());
        net.init();
        return net;
    }
}
