package io.filterscope.model.keras;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Where a Keras model's weights are: an HDF5 file in Keras 2's or Keras 3's layout, or TF.js shards. */
public interface KerasWeightStore extends Closeable {

    /** The layer's weights in Keras' order (empty for a layer without weights). */
    LayerWeights of(KerasLayer layer) throws IOException;

    @Override
    void close();

    /**
     * Keras 2 and tf.keras ({@code model.save()} or {@code save_weights()} to .h5): each top-level layer's
     * group lists its datasets in attribute {@code weight_names}; a nested model's group holds all of its
     * layers' weights, told apart by the layer name in each weight's name ({@code Conv1/kernel:0}).
     */
    static KerasWeightStore keras2(Hdf5File h5, String root) {
        return new KerasWeightStore() {
            @Override
            public LayerWeights of(KerasLayer layer) throws IOException {
                KerasLayer.WeightsPath p = layer.weightsPath();
                String group = root.isEmpty() ? p.group() : root + "/" + p.group();
                List<LayerWeights.Weight> out = new ArrayList<>();
                if (h5.exists(group) && h5.hasAttribute(group, "weight_names")) {
                    boolean nested = !p.group().equals(p.name());
                    for (String name : h5.strings(group, "weight_names")) {
                        LayerWeights.Weight named = new LayerWeights.Weight(name, null, null);
                        if (nested && !named.of(p.name())) {
                            continue;
                        }
                        Hdf5File.Tensor t = h5.tensor(group + "/" + name);
                        out.add(new LayerWeights.Weight(name, t.shape(), t.values()));
                    }
                }
                return new LayerWeights(layer.name(), out);
            }

            @Override
            public void close() {
                h5.close();
            }
        };
    }

    /**
     * Keras 3 ({@code model.weights.h5} in a .keras zip): a layer's variables are datasets {@code 0, 1, ...}
     * in group {@code <path>/vars}, where the path names the layer by its class in snake case within its
     * model ({@code layers/conv2d_1}, {@code layers/functional/layers/dense}).
     */
    static KerasWeightStore keras3(Hdf5File h5) {
        return new KerasWeightStore() {
            @Override
            public LayerWeights of(KerasLayer layer) throws IOException {
                String vars = layer.weightsPath().keras3Path() + "/vars";
                List<LayerWeights.Weight> out = new ArrayList<>();
                for (int i = 0; h5.exists(vars + "/" + i); i++) {
                    Hdf5File.Tensor t = h5.tensor(vars + "/" + i);
                    out.add(new LayerWeights.Weight(null, t.shape(), t.values()));
                }
                return new LayerWeights(layer.name(), out);
            }

            @Override
            public void close() {
                h5.close();
            }
        };
    }
}
