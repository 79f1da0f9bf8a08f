package io.filterscope.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.train.LeNet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

/** Writes a small untrained model with metadata and an example set into a test's directory. */
public final class FixtureModels {
    private FixtureModels() {
    }

    public static void writeLeNet(Path dir, String id) throws IOException {
        writeLeNet(dir, id, net -> { });
    }

    /** {@link #writeLeNet(Path, String)} with the network changed by {@code change} before it is saved. */
    public static void writeLeNet(Path dir, String id, java.util.function.Consumer<org.deeplearning4j.nn.multilayer.MultiLayerNetwork> change)
            throws IOException {
        writeLeNet(dir, id, List.of("a", "b", "c"), change);
    }

    /** {@link #writeLeNet(Path, String)} with one output class per name (names as the metadata gives them, any text). */
    public static void writeLeNet(Path dir, String id, List<String> classes) throws IOException {
        writeLeNet(dir, id, classes, net -> { });
    }

    private static void writeLeNet(Path dir, String id, List<String> classes,
                                   java.util.function.Consumer<org.deeplearning4j.nn.multilayer.MultiLayerNetwork> change)
            throws IOException {
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = LeNet.create(28, 1, classes.size(), 7);
        change.accept(net);
        ModelSerializer.writeModel(net, dir.resolve(id + ".zip").toFile(), false);
        Random rng = new Random(1);
        float[][] pixels = new float[12][28 * 28];
        int[] labels = new int[12];
        for (int i = 0; i < pixels.length; i++) {
            for (int j = 0; j < pixels[i].length; j++) {
                pixels[i][j] = rng.nextFloat();
            }
            labels[i] = i % classes.size();
        }
        IdxFiles.write(new LabeledImages(pixels, labels, 28, 28), dir.resolve(id + ".ex-images.idx.gz"),
                dir.resolve(id + ".ex-labels.idx.gz"));
        ModelMetadata meta = new ModelMetadata(id, "untrained test model", id + ".zip", List.of(1, 28, 28),
                InputSpace.UNIT, classes,
                new ModelMetadata.Examples(id + ".ex-images.idx.gz", id + ".ex-labels.idx.gz", "random"), null);
        new ObjectMapper().writeValue(dir.resolve(id + ".json").toFile(), meta);
    }

    /**
     * An untrained network of {@code side} x {@code side} grey pictures and {@code classes} classes that is cheap to load
     * however many classes it has: one 3x3 convolution of 8 filters ({@code conv1}), a global average pool and a dense
     * softmax layer ({@code output}); no examples and no class names.
     */
    public static void writeManyClasses(Path dir, String id, int side, int classes) throws IOException {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv1").nOut(8).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("pool").build())
                .layer(new OutputLayer.Builder().name("output").nOut(classes).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(side, side, 1))
                .build());
        net.init();
        ModelSerializer.writeModel(net, dir.resolve(id + ".zip").toFile(), false);
        ModelMetadata meta = new ModelMetadata(id, "untrained test model of many classes", id + ".zip", List.of(1, side, side),
                InputSpace.UNIT, null, null, null);
        new ObjectMapper().writeValue(dir.resolve(id + ".json").toFile(), meta);
    }

    /** {@link io.filterscope.engine.TestNets#graph}: residual addition, concatenation, batch norm, 3 x 10 x 10. */
    public static void writeGraph(Path dir, String id) throws IOException {
        ModelSerializer.writeModel(io.filterscope.engine.TestNets.graph(DataType.FLOAT, 3),
                dir.resolve(id + ".zip").toFile(), false);
        ModelMetadata meta = new ModelMetadata(id, "untrained test graph", id + ".zip", List.of(3, 10, 10),
                InputSpace.CAFFE_BGR, List.of("a", "b", "c"), null, null);
        new ObjectMapper().writeValue(dir.resolve(id + ".json").toFile(), meta);
    }
}
