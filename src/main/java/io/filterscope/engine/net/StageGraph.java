package io.filterscope.engine.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the compiler builds: stages in topological order, each with the nodes whose outputs it reads
 * ({@link #INPUT} for the network's input), and for every named layer the node that produces its output.
 */
final class StageGraph {
    static final int INPUT = -1;
    final List<Stage> stages = new ArrayList<>();
    final List<int[]> inputs = new ArrayList<>();
    /** Layer name to the node of its last stage, in topological order. */
    final Map<String, Integer> layers = new LinkedHashMap<>();
    /** Second names of layers: alias to layer. */
    final Map<String, String> aliases = new LinkedHashMap<>();
    /**
     * Node of a {@link FoldedBatchNormStage} to the node of the convolution folded into it, which reads the same input
     * and is computed only when something asks for its own output.
     */
    final Map<Integer, Integer> folded = new HashMap<>();

    /** Adds a stage reading these nodes; returns its node. */
    int add(Stage stage, int... from) {
        stages.add(stage);
        inputs.add(from.clone());
        return stages.size() - 1;
    }

    /** Names a node's output after a layer of the model, which makes it a target for objectives. */
    void name(String layer, int node) {
        layers.put(layer, node);
    }

    Stage stage(int node) {
        return node == INPUT ? null : stages.get(node);
    }
}
