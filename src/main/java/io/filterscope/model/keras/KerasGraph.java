package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Op;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.UnsupportedLayerException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;

/**
 * What a {@link KerasLayerReader} builds with: the graph under construction, the layer's weights, layout
 * changes between channels-last tensors and our NCHW maps, and activations by Keras' names.
 */
final class KerasGraph {
    private final ModelGraph.Builder builder;
    private final KerasWeightStore weights;
    private final KerasDialect dialect;
    /** Layers whose output is a model output that no other layer reads: a softmax there is left out (logits). */
    private final Set<String> finalLayers;

    KerasGraph(ModelGraph.Builder builder, KerasWeightStore weights, KerasDialect dialect, Set<String> finalLayers) {
        this.builder = builder;
        this.weights = weights;
        this.dialect = dialect;
        this.finalLayers = finalLayers;
    }

    KerasDialect dialect() {
        return dialect;
    }

    /** Adds an op of this layer reading these nodes. */
    int add(KerasLayer owner, Op op, int... from) {
        return builder.add(owner.name(), op, from);
    }

    /** Adds an op of this layer to one tensor; the result keeps the tensor's layout. */
    KerasTensor apply(KerasLayer owner, Op op, KerasTensor t) {
        return new KerasTensor(add(owner, op, t.node()), t.order());
    }

    LayerWeights weights(KerasLayer layer) throws IOException {
        return weights.of(layer);
    }

    /** The tensor stored in {@code order} (permuting it if it is stored otherwise). */
    KerasTensor ensure(KerasLayer owner, KerasTensor t, int[] order) {
        if (Arrays.equals(t.order(), order)) {
            return t;
        }
        if (t.rank() != order.length) {
            throw new UnsupportedLayerException("layer " + owner.name() + " (" + owner.className() + ") takes tensors of rank "
                    + (order.length + 1) + ", got rank " + (t.rank() + 1));
        }
        int[] perm = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            perm[i] = t.ourAxis(order[i]);
        }
        return new KerasTensor(add(owner, Ops.permute(perm), t.node()), order.clone());
    }

    /** The tensor as NCHW maps for a layer of this data format (channels last unless it says otherwise). */
    KerasTensor maps(KerasLayer owner, KerasTensor t) {
        if (!t.maps()) {
            throw new UnsupportedLayerException("layer " + owner.name() + " (" + owner.className()
                    + ") needs image maps, got a flat vector");
        }
        return ensure(owner, t, owner.channelsFirst() ? KerasTensor.IDENTITY_3 : KerasTensor.CHANNELS_LAST);
    }

    /**
     * The tensor with Keras axis {@code axis} (per image, negative from the end) as our channel axis, the other
     * axes in Keras' order: for per-channel layers (batch and layer normalization, softmax, Dense on maps).
     */
    KerasTensor channelsAt(KerasLayer owner, KerasTensor t, int axis) {
        if (!t.maps()) {
            return t;
        }
        int a = axis < 0 ? axis + 3 : axis;
        int[] order = new int[3];
        order[0] = a;
        for (int k = 0, i = 1; k < 3; k++) {
            if (k != a) {
                order[i++] = k;
            }
        }
        return ensure(owner, t, order);
    }

    /** Whether this layer's output is a model output nobody else reads (so its softmax is left out). */
    boolean isFinal(KerasLayer layer) {
        return finalLayers.contains(layer.name());
    }

    /**
     * Applies a Keras activation given by name (or Keras 3's serialized function) after this layer's own op.
     * A softmax on a final layer is left out, so class objectives see logits.
     */
    KerasTensor activation(KerasLayer owner, JsonNode activation, KerasTensor t) {
        String name = Activations.name(activation);
        if (name.equals("softmax")) {
            if (isFinal(owner)) {
                return t;
            }
            return apply(owner, Ops.softmax(), channelsAt(owner, t, -1));
        }
        Op op = Activations.op(name, dialect);
        return op == null ? t : apply(owner, op, t);
    }
}
