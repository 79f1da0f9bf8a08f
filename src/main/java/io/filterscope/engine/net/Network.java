package io.filterscope.engine.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model compiled into a chain of native ops for one batch size and image size: forward to any layer,
 * then backward from gradients placed at one or more layers down to the input. All buffers are allocated
 * once; a step allocates nothing large.
 */
public final class Network {
    private final List<Stage> stages;
    private final INDArray input;
    /** Why layers past the last stage are missing (a dense layer that needs another input size), or null. */
    private final String truncated;
    private final Map<String, Integer> stageOfLayer = new LinkedHashMap<>();
    private final Map<String, INDArray> objectiveGradients = new HashMap<>();
    private final List<LayerInfo> layers = new ArrayList<>();
    private int forwardDepth = -1;

    Network(List<Stage> all, DataType dtype, long[] inputShape) {
        this.input = Nd4j.create(dtype, inputShape);
        INDArray next = input;
        int built = 0;
        String reason = null;
        for (Stage stage : all) {
            try {
                stage.allocate(next);
            } catch (IllegalArgumentException e) {
                // Convolutions take any size; a dense layer needs the size it was trained on. Keep the layers
                // before it, so a filter can still be rendered larger than the model's own input.
                if (built == 0) {
                    throw e;
                }
                reason = e.getMessage();
                break;
            }
            next = stage.out;
            built++;
        }
        List<Stage> kept = new ArrayList<>(all.subList(0, built));
        if (reason != null) {
            // Drop the stages of the layer that failed half-way (its conv without its ReLU, say).
            String partial = all.get(built).layer;
            while (!kept.isEmpty() && partial != null && partial.equals(kept.get(kept.size() - 1).layer)) {
                kept.remove(kept.size() - 1);
            }
        }
        this.stages = kept;
        this.truncated = reason;
        for (int i = 0; i < stages.size(); i++) {
            if (stages.get(i).layer != null) {
                stageOfLayer.put(stages.get(i).layer, i);
            }
        }
        // The layer's output is its last stage's (a conv layer's ReLU, say).
        for (Map.Entry<String, Integer> e : stageOfLayer.entrySet()) {
            long[] shape = stages.get(e.getValue()).out.shape();
            List<Long> perImage = new ArrayList<>();
            for (int d = 1; d < shape.length; d++) {
                perImage.add(shape[d]);
            }
            layers.add(new LayerInfo(e.getKey(), kindOf(e.getKey()), shape[1], perImage));
        }
    }

    private String kindOf(String layer) {
        StringBuilder kind = new StringBuilder();
        for (Stage s : stages) {
            if (layer.equals(s.layer)) {
                kind.append(kind.length() == 0 ? "" : "+").append(s.kind());
            }
        }
        return kind.toString();
    }

    public List<LayerInfo> layers() {
        return layers;
    }

    public LayerInfo layer(String name) {
        for (LayerInfo l : layers) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    public long batch() {
        return input.size(0);
    }

    public DataType dataType() {
        return input.dataType();
    }

    /** The buffer the next forward pass reads; fill it, then call {@link #forward}. */
    public INDArray input() {
        return input;
    }

    /** Runs the stages needed to compute every one of {@code targets}. */
    public void forward(Collection<String> targets) {
        forwardDepth = deepest(targets);
        for (int i = 0; i <= forwardDepth; i++) {
            stages.get(i).forward();
        }
    }

    /** Output of a layer after {@link #forward}: [batch, c, h, w] or [batch, units]. */
    public INDArray output(String layer) {
        int stage = stageIndex(layer);
        if (stage > forwardDepth) {
            throw new IllegalStateException("layer " + layer + " was not computed by the last forward pass");
        }
        return stages.get(stage).out;
    }

    /**
     * Zeroes the gradient buffers of these layers (shaped like their outputs). Objectives then add
     * d(objective)/d(output) into {@link #gradient}; only these layers take part in the next {@link #backward}.
     */
    public void clearGradients(Collection<String> layers) {
        for (String layer : layers) {
            objectiveGradients.computeIfAbsent(layer, l -> {
                // Lives as long as the network, so never in a step's workspace.
                try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    return output(l).like();
                }
            }).assign(0);
        }
    }

    /** The gradient buffer of a layer, after {@link #clearGradients}. */
    public INDArray gradient(String layer) {
        INDArray g = objectiveGradients.get(layer);
        if (g == null) {
            throw new IllegalStateException("gradients of layer " + layer + " were not cleared first");
        }
        return g;
    }

    /**
     * Back-propagates the gradients placed in {@link #gradient} since the last forward pass, down to
     * the input. Returns the gradient at the input (a buffer reused by the next call).
     */
    public INDArray backward(Collection<String> targets, double leak) {
        int top = deepest(targets);
        INDArray g = null;
        for (int i = top; i >= 0; i--) {
            Stage stage = stages.get(i);
            if (stage.layer != null && targets.contains(stage.layer) && stageOfLayer.get(stage.layer) == i) {
                INDArray placed = objectiveGradients.get(stage.layer);
                if (placed == null) {
                    throw new IllegalStateException("no gradient placed at layer " + stage.layer);
                }
                g = g == null ? placed : g.addi(placed);
            }
            stage.backward(g, leak);
            g = stage.gradIn;
        }
        return g;
    }

    private int deepest(Collection<String> targets) {
        int deepest = -1;
        for (String t : targets) {
            deepest = Math.max(deepest, stageIndex(t));
        }
        return deepest;
    }

    private int stageIndex(String layer) {
        Integer i = stageOfLayer.get(layer);
        if (i == null) {
            throw new IllegalArgumentException(unavailable(layer));
        }
        return i;
    }

    /** Why a layer cannot be used with this network. */
    public String unavailable(String layer) {
        return truncated != null
                ? "layer '" + layer + "' is not available for " + input.size(2) + "x" + input.size(3) + " images ("
                        + truncated + "); use the model's own input size"
                : "no layer named '" + layer + "' (layers: " + stageOfLayer.keySet() + ")";
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Network" + Arrays.toString(input.shape()));
        for (Stage st : stages) {
            s.append("\n  ").append(st.layer == null ? "-" : st.layer).append(": ").append(st.kind());
        }
        return s.toString();
    }
}
