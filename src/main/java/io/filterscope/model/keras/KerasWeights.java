package io.filterscope.model.keras;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The weights part of a Keras HDF5 file, as Keras' {@code save_weights} writes it (at the file's root in a
 * weights-only file, under {@code model_weights} in a full model): attribute {@code layer_names} lists the
 * layers; each layer's group lists its weights in attribute {@code weight_names}, each a dataset at that
 * path inside the group ({@code conv2d_1/kernel:0} in Keras 2, {@code block1_conv1_W_1:0} in Keras 1).
 */
final class KerasWeights {
    private final Hdf5File h5;
    private final String root;

    private KerasWeights(Hdf5File h5, String root) {
        this.h5 = h5;
        this.root = root;
    }

    /** The file's weights, or null if it holds none in Keras' layout. */
    static KerasWeights find(Hdf5File h5) {
        for (String root : new String[] {"", "model_weights"}) {
            if (h5.hasAttribute(root, "layer_names")) {
                return new KerasWeights(h5, root);
            }
        }
        return null;
    }

    List<String> layers() throws IOException {
        return h5.strings(root, "layer_names");
    }

    /** The layers that have weights, in the file's order. */
    List<String> weightedLayers() throws IOException {
        List<String> out = new ArrayList<>();
        for (String layer : layers()) {
            if (!weightNames(layer).isEmpty()) {
                out.add(layer);
            }
        }
        return out;
    }

    private List<String> weightNames(String layer) throws IOException {
        String group = path(layer);
        if (!h5.exists(group)) {
            throw new IOException("layer " + layer + " is listed but its weights group is missing");
        }
        return h5.hasAttribute(group, "weight_names") ? h5.strings(group, "weight_names") : List.of();
    }

    /** A layer's weights in the order Keras lists them (kernel, then bias). */
    List<Hdf5File.Tensor> of(String layer) throws IOException {
        if (!layers().contains(layer)) {
            throw new IOException("the file has no weights for layer " + layer);
        }
        List<Hdf5File.Tensor> out = new ArrayList<>();
        for (String name : weightNames(layer)) {
            out.add(h5.tensor(path(layer) + "/" + name));
        }
        return out;
    }

    private String path(String layer) {
        return root.isEmpty() ? layer : root + "/" + layer;
    }
}
