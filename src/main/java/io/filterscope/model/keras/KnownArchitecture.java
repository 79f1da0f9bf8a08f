package io.filterscope.model.keras;

import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.Vgg16;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
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
            InputSpace.CAFFE_BGR),
    /** VGG19's convolutional part, block1_conv1 .. block5_conv4 (Keras' vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5). */
    VGG19_NOTOP("vgg19-notop", "VGG19 convolutional part (no dense top)", List.of(3, 224, 224), Vgg16.vgg19ConvLayerNames(),
            InputSpace.CAFFE_BGR);

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
     * The network filled from the file's group of each weighted layer: per VGG block, "same" 3x3 convolutions
     * with ReLU, then a 2x2 max pool named {@code blockN_pool}. Keras convolution kernels are [kh, kw, in, out];
     * ours [out, in, kh, kw].
     */
    ModelGraph graph(KerasWeights weights) throws IOException {
        ModelGraph.Builder g = ModelGraph.builder();
        int node = ModelGraph.INPUT;
        long channels = inputShape.get(0);
        String block = null;
        for (String name : weightedLayers) {
            String thisBlock = name.substring(0, name.indexOf('_'));
            if (block != null && !block.equals(thisBlock)) {
                node = g.name(block + "_pool", g.add(block + "_pool", POOL, node));
            }
            block = thisBlock;
            List<Hdf5File.Tensor> tensors = weights.of(name);
            Hdf5File.Tensor kernel = tensors.stream().filter(t -> t.rank() == 4).findFirst()
                    .orElseThrow(() -> new IOException("layer " + name + " has no convolution kernel"));
            Hdf5File.Tensor bias = tensors.stream().filter(t -> t.rank() == 1).findFirst()
                    .orElseThrow(() -> new IOException("layer " + name + " has no bias"));
            long[] k = kernel.shape();
            if (k[0] != 3 || k[1] != 3 || k[2] != channels || bias.shape()[0] != k[3]) {
                throw new IOException("layer " + name + ": kernel is " + kernel.shapeText() + " and bias " + bias.shapeText() + ", "
                        + id + " needs [3, 3, " + channels + ", out] and [out] ([height, width, in, out], channels_last)");
            }
            INDArray w = Nd4j.create(kernel.values(), k, 'c').permute(3, 2, 0, 1).dup('c');
            INDArray b = Nd4j.create(bias.values(), new long[] {k[3]}, 'c');
            int conv = g.add(name, Ops.conv2d(w, b, new int[] {1, 1}, Padding.same(), new int[] {1, 1}, 1), node);
            node = g.name(name, g.add(name, Ops.relu(), conv));
            channels = k[3];
        }
        g.name(block + "_pool", g.add(block + "_pool", POOL, node));
        return g.build();
    }

    private static final io.filterscope.engine.net.Op POOL = Ops.pool(true, new int[] {2, 2}, new int[] {2, 2}, Padding.valid(),
            false, false);
}
