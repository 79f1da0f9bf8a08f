package io.filterscope.model.keras;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer's weights in the order Keras keeps them (kernel before bias; gamma, beta, moving mean, moving
 * variance), with their names where the format has them (Keras 2 "conv1/kernel:0", TF.js "conv1/kernel";
 * Keras 3 numbers them). Readers {@link #take} them by role: by name when names exist, else in order.
 */
public final class LayerWeights {
    /** One weight: its name (null in Keras 3), shape and values in c-order. */
    public record Weight(String name, long[] shape, float[] values) {
        /**
         * Whether this weight belongs to the layer of this name: its name is the layer's name (or ends with it,
         * under a model's scope), "/", and the weight's own ("conv1/conv/kernel:0" is DenseNet's conv1/conv's).
         */
        public boolean of(String layer) {
            return scope() != null && (scope().equals(layer) || scope().endsWith("/" + layer));
        }

        /** The name without its role and ":0": the scope the weight was made in ("conv1/conv"), or null. */
        public String scope() {
            if (name == null) {
                return null;
            }
            String n = name.replaceFirst(":\\d+$", "");
            int slash = n.lastIndexOf('/');
            return slash < 0 ? "" : n.substring(0, slash);
        }

        /** The last part of the name without TensorFlow's ":0", e.g. "kernel". */
        String role() {
            if (name == null) {
                return null;
            }
            String n = name.replaceFirst(":\\d+$", "");
            return n.substring(n.lastIndexOf('/') + 1);
        }
    }

    private final String layer;
    private final List<Weight> weights;
    private final boolean[] used;
    private int next;

    public LayerWeights(String layer, List<Weight> weights) {
        this.layer = layer;
        this.weights = new ArrayList<>(weights);
        this.used = new boolean[weights.size()];
    }

    /**
     * The weight of this role ("kernel", "bias", "gamma", ...) as an array of its own shape: the one so named,
     * or, in a format without names, the next one in order.
     *
     * @throws IOException when the layer has no such weight
     */
    public INDArray take(String role) throws IOException {
        Weight w = find(role);
        if (w == null) {
            throw new IOException("layer " + layer + " has no weight \"" + role + "\" (it has "
                    + weights.stream().map(x -> x.name() == null ? Arrays.toString(x.shape()) : x.name()).toList() + ")");
        }
        return Nd4j.create(w.values(), w.shape().length == 0 ? new long[] {1} : w.shape(), 'c');
    }

    private Weight find(String role) {
        for (int i = 0; i < weights.size(); i++) {
            if (!used[i] && role.equals(weights.get(i).role())) {
                used[i] = true;
                return weights.get(i);
            }
        }
        while (next < weights.size() && used[next]) {
            next++;
        }
        if (next < weights.size() && weights.get(next).name() == null) {
            used[next] = true;
            return weights.get(next++);
        }
        return null;
    }
}
