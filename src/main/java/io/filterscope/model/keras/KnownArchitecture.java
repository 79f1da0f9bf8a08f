package io.filterscope.model.keras;

import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.Vgg16;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Networks FilterScope can build itself and fill from a Keras weights-only file (one that has weights but
 * no {@code model_config}), such as Keras' released {@code vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5}.
 * Metadata names one with {@code "architecture"}; without metadata, a file whose layer names are exactly
 * an architecture's is recognized as it.
 */
public enum KnownArchitecture {
    /** VGG16's convolutional part ({@link Vgg16#notop}), Keras layer names block1_conv1 .. block5_pool. */
    VGG16_NOTOP("vgg16-notop", "VGG16 convolutional part (no dense top)", List.of(3, 224, 224), Vgg16.convLayerNames(),
            InputSpace.CAFFE_BGR) {
        @Override
        MultiLayerNetwork create() {
            return Vgg16.notop(224, 1);
        }
    },
    /** VGG19's convolutional part, block1_conv1 .. block5_conv4 (Keras' vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5). */
    VGG19_NOTOP("vgg19-notop", "VGG19 convolutional part (no dense top)", List.of(3, 224, 224), Vgg16.vgg19ConvLayerNames(),
            InputSpace.CAFFE_BGR) {
        @Override
        MultiLayerNetwork create() {
            return Vgg16.vgg19Notop(224, 1);
        }
    };

    private final String id;
    private final String description;
    private final List<Integer> inputShape;
    private final List<String> weightedLayers;
    private final InputSpace input;

    KnownArchitecture(String id, String description, List<Integer> inputShape, List<String> weightedLayers, InputSpace input) {
        this.id = id;
        this.description = description;
        this.inputShape = inputShape;
        this.weightedLayers = weightedLayers;
        this.input = input;
    }

    /** The name metadata uses, e.g. {@code vgg16-notop}. */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** The input the architecture was trained at: [channels, height, width]. */
    public List<Integer> inputShape() {
        return inputShape;
    }

    /**
     * The input its published weights were trained with (Keras' "caffe" preprocessing for the VGGs: BGR,
     * 0-255, ImageNet mean subtracted), which a file of these weights gets without metadata.
     */
    public InputSpace input() {
        return input;
    }

    /** {@link #input} in words. */
    public String inputDescription() {
        return input.equals(InputSpace.CAFFE_BGR) ? "Keras' caffe preprocessing: BGR, 0-255, ImageNet mean subtracted"
                : input.toString();
    }

    /** The network with random weights and Keras' layer names. */
    abstract MultiLayerNetwork create();

    /** The architecture of that name, or an exception listing the known ones. */
    public static KnownArchitecture named(String id) {
        for (KnownArchitecture a : values()) {
            if (a.id.equals(id)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture \"" + id + "\" (known: " + known() + ")");
    }

    public static String known() {
        return String.join(", ", Arrays.stream(values()).map(KnownArchitecture::id).toList());
    }

    /** The architecture whose weighted layers are exactly the file's weighted layers, or null. */
    static KnownArchitecture recognize(List<String> weightedLayers) {
        for (KnownArchitecture a : values()) {
            if (a.weightedLayers.equals(weightedLayers)) {
                return a;
            }
        }
        return null;
    }

    /**
     * Builds the network and copies every weighted layer's kernel and bias from the file's group of the
     * same name. Keras convolution kernels are [kh, kw, in, out]; DL4J's are [out, in, kh, kw].
     */
    Model load(KerasWeights weights) throws IOException {
        MultiLayerNetwork net = create();
        for (Layer layer : net.getLayers()) {
            if (layer.numParams() == 0) {
                continue;
            }
            String name = layer.conf().getLayer().getLayerName();
            List<Hdf5File.Tensor> tensors = weights.of(name);
            Hdf5File.Tensor kernel = tensors.stream().filter(t -> t.rank() == 4).findFirst()
                    .orElseThrow(() -> new IOException("layer " + name + " has no convolution kernel"));
            Hdf5File.Tensor bias = tensors.stream().filter(t -> t.rank() == 1).findFirst()
                    .orElseThrow(() -> new IOException("layer " + name + " has no bias"));
            INDArray w = layer.getParam("W");
            long[] expected = {w.size(2), w.size(3), w.size(1), w.size(0)};
            if (!Arrays.equals(kernel.shape(), expected)) {
                throw new IOException("layer " + name + ": kernel is " + kernel.shapeText() + ", " + id + " needs "
                        + Arrays.toString(expected) + " ([height, width, in, out], channels_last)");
            }
            INDArray b = layer.getParam("b");
            if (bias.shape()[0] != b.length()) {
                throw new IOException("layer " + name + ": bias has " + bias.shape()[0] + " values, " + id + " needs " + b.length());
            }
            w.assign(Nd4j.create(kernel.values(), kernel.shape(), 'c').permute(3, 2, 0, 1).castTo(w.dataType()));
            b.assign(Nd4j.create(bias.values(), new long[] {b.length()}, 'c').reshape(b.shape()).castTo(b.dataType()));
        }
        return net;
    }
}
