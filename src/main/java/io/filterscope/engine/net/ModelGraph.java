package io.filterscope.engine.net;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A network as the engine runs it, whatever file it came from: {@link Op}s in topological order, each
 * reading the outputs of earlier ones or the image, and the model's layer names on the outputs objectives
 * may target. Independent of batch and image size; {@link #compile} turns it into a {@link Network} for one
 * of each. Readers build it with a {@link Builder}.
 * <p>
 * A batch norm whose input is a convolution read by nothing else is compiled folded into it ({@link
 * FoldedBatchNormStage}: a copy of the convolution with its weights scaled and shifted): the norm's node then reads the
 * convolution's input, and the convolution's own node, still a layer objectives and queries may name, runs only when its
 * output is asked for. A convolution read by other ops too is computed anyway, so its norm stays a stage of its own. The
 * copy is made for each network compiled, for the norms among the ops it allocates, and belongs to it: its memory is
 * counted with the network's ({@link Network#heldParameters}) and goes with it, where one copy made at load for the
 * model's life was counted by no budget.
 * <p>
 * Likewise a plain ReLU whose input is a convolution read by nothing else and named after no layer (a Keras or DL4J
 * convolution with its own {@code activation="relu"}: the layer's name is on the ReLU) is computed by that convolution
 * as it writes its output where it can ({@link ConvStage#rectify}); the ReLU's stage keeps its layer and its backward pass. The
 * convolution's own output, before the ReLU, is then never available: nothing can ask for it.
 */
public final class ModelGraph {
    /** The node number that stands for the network's input image. */
    public static final int INPUT = StageGraph.INPUT;

    private record Node(String owner, Op op, int[] from) {
    }

    private final List<Node> nodes;
    private final Map<String, Integer> layers;
    private final Map<String, String> aliases;
    /** Nodes of batch norms that may be folded into the convolution they read, the only reader of its output. */
    private final Set<Integer> foldable = new HashSet<>();
    /** Nodes that read a convolution's output no other node reads and no layer names (a ReLU may then be fused in). */
    private final Set<Integer> soleReaders = new HashSet<>();

    private ModelGraph(List<Node> nodes, Map<String, Integer> layers, Map<String, String> aliases) {
        this.nodes = List.copyOf(nodes);
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
        this.aliases = Map.copyOf(aliases);
        int[] readers = new int[nodes.size()];
        for (Node n : nodes) {
            for (int f : n.from()) {
                if (f != INPUT) {
                    readers[f]++;
                }
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.op().isAffine() && n.from().length == 1 && n.from()[0] != INPUT && readers[n.from()[0]] == 1) {
                foldable.add(i);
            }
            if (n.from().length == 1 && n.from()[0] != INPUT && readers[n.from()[0]] == 1 && !layers.containsValue(n.from()[0])) {
                soleReaders.add(i);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The names of the layers objectives may target, in topological order. */
    public List<String> layerNames() {
        return List.copyOf(layers.keySet());
    }

    /**
     * The network for a batch of images of [channels, height, width].
     *
     * @throws IllegalArgumentException when no layer can take images of that size
     */
    public Network compile(DataType dtype, long batch, long[] chw) {
        return compile(dtype, batch, chw, size());
    }

    /** How many ops the graph has: the depth of a whole network. */
    public int size() {
        return nodes.size();
    }

    /**
     * The network for a batch of images of [channels, height, width] with only its first {@code depth} ops
     * allocated ({@link Network#depth(java.util.Collection)}): layers after them are not available.
     *
     * @throws IllegalArgumentException when no layer among them can take images of that size
     */
    public Network compile(DataType dtype, long batch, long[] chw, int depth) {
        StageGraph g = new StageGraph();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            // Folded where the network allocates the norm (the copy is made now, with the conv's weights scaled).
            Op conv = i < depth && foldable.contains(i) ? nodes.get(n.from()[0]).op().followedBy(n.op()) : null;
            if (conv == null) {
                Stage s = n.op().stage(n.owner(), dtype);
                if (i < depth && soleReaders.contains(i) && s instanceof ActivationStage relu && relu.plain()
                        && g.stage(n.from()[0]) instanceof ConvStage c) {
                    c.rectify();
                    relu.readRectified(c);
                }
                g.add(s, n.from());
            } else {
                int unfolded = n.from()[0];
                g.add(new FoldedBatchNormStage(conv.stage(nodes.get(unfolded).owner(), dtype), (BatchNormStage) n.op().stage(n.owner(), dtype)),
                        nodes.get(unfolded).from());
                g.folded.put(i, unfolded);
            }
        }
        layers.forEach(g::name);
        g.aliases.putAll(aliases);
        return new Network(g, dtype, new long[] {batch, chw[0], chw[1], chw[2]}, depth);
    }

    /** Collects a graph's ops in topological order: every op reads only nodes added before it. */
    public static final class Builder {
        private final List<Node> nodes = new ArrayList<>();
        private final Map<String, Integer> layers = new LinkedHashMap<>();
        private final Map<String, String> aliases = new LinkedHashMap<>();

        private Builder() {
        }

        /** How many ops were added: the node number the next one gets. */
        public int size() {
            return nodes.size();
        }

        /**
         * Adds an op reading these nodes ({@link #INPUT} for the image) and returns its node.
         *
         * @param owner the model layer the op belongs to (several ops may make up one layer), or null
         */
        public int add(String owner, Op op, int... from) {
            for (int f : from) {
                if (f < INPUT || f >= nodes.size()) {
                    throw new IllegalArgumentException("op of " + owner + " reads node " + f + ", which does not exist yet");
                }
            }
            nodes.add(new Node(owner, op, from.clone()));
            return nodes.size() - 1;
        }

        /** Makes a node's output the layer of that name, a target for objectives; returns the node. */
        public int name(String layer, int node) {
            if (node < 0 || node >= nodes.size()) {
                throw new IllegalArgumentException("layer " + layer + " names node " + node + ", which does not exist");
            }
            layers.put(layer, node);
            return node;
        }

        /**
         * Gives a layer a second name it also answers to (an ONNX node's name beside its output tensor's). An
         * alias that is already a layer's name or another alias is ignored.
         */
        public void alias(String alias, String layer) {
            if (!layers.containsKey(layer)) {
                throw new IllegalArgumentException("no layer " + layer + " to call " + alias);
            }
            if (!has(alias)) {
                aliases.put(alias, layer);
            }
        }

        /** Whether a layer of that name (or alias) exists already. */
        public boolean has(String layer) {
            return layers.containsKey(layer) || aliases.containsKey(layer);
        }

        public ModelGraph build() {
            if (layers.isEmpty()) {
                throw new UnsupportedLayerException("the model has no layers");
            }
            return new ModelGraph(nodes, layers, aliases);
        }
    }
}
