package io.filterscope.model.onnx;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Op;
import io.filterscope.engine.net.Ops;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the ONNX walker knows while it reads a graph: every tensor read so far, as a constant known at load time
 * (weights, and shapes folded from Shape/Gather/Concat chains) or an activation computed by an engine node,
 * and the {@link ModelGraph} being built. Converters ({@link OnnxOpReader}) read their inputs from here and
 * record their outputs.
 *
 * <p>Shapes are inferred at a reference size, the input size the file declares (224 px where it leaves the
 * size open), with batch 1: that is what a Shape node reads. An activation's layout is tracked too: the engine
 * keeps maps NCHW, and a Transpose to channels-last (ConvNeXt's blocks) only changes which logical axis each
 * stored axis is, so the ops behind it read their axes through {@link Activation#perm}.
 */
final class OnnxGraph {
    /** A tensor of the ONNX graph as the reader knows it. */
    sealed interface Value permits Constant, Activation {
    }

    /** A tensor known at load time: weights, or a folded shape computation. */
    record Constant(INDArray value) implements Value {
        long[] longs() {
            return value.castTo(DataType.LONG).reshape(-1).toLongVector();
        }

        long[] shape() {
            return value.shape();
        }
    }

    /**
     * A tensor computed from the image by engine node {@code node} ({@link ModelGraph#INPUT} for the image).
     *
     * @param shape its logical shape at the reference size, batch first
     * @param perm for each logical axis, the axis of the stored array that holds it; null when they coincide
     */
    record Activation(int node, long[] shape, int[] perm) implements Value {
        int rank() {
            return shape.length;
        }

        /** The axis of the stored array holding logical axis {@code axis} (negative counts from the end). */
        int physical(int axis) {
            int a = axis < 0 ? axis + shape.length : axis;
            return perm == null ? a : perm[a];
        }

        boolean plain() {
            return perm == null;
        }

        /** The stored array's shape. */
        long[] physicalShape() {
            if (perm == null) {
                return shape;
            }
            long[] p = new long[shape.length];
            for (int i = 0; i < shape.length; i++) {
                p[perm[i]] = shape[i];
            }
            return p;
        }
    }

    private final OnnxFile file;
    private final ModelGraph.Builder builder = ModelGraph.builder();
    private final Map<String, Value> values = new HashMap<>();
    private final Map<String, Onnx.TensorProto> initializers = new HashMap<>();
    private final Map<String, Integer> consumers;
    private OnnxNode current;

    OnnxGraph(OnnxFile file, Map<String, Integer> consumers) {
        this.file = file;
        this.consumers = consumers;
        for (Onnx.TensorProto t : file.graph().getInitializerList()) {
            initializers.put(t.getName(), t);
        }
    }

    ModelGraph.Builder builder() {
        return builder;
    }

    /** How many nodes read this tensor (graph outputs not counted). */
    int consumers(String tensor) {
        return consumers.getOrDefault(tensor, 0);
    }

    void reading(OnnxNode node) {
        current = node;
    }

    /** The value of a tensor; initializers are converted when first read. */
    Value value(OnnxNode node, String tensor) throws IOException {
        Value v = values.get(tensor);
        if (v == null) {
            Onnx.TensorProto t = initializers.get(tensor);
            if (t == null) {
                throw node.refuse("reads tensor " + tensor + ", which no earlier node computes");
            }
            v = new Constant(file.tensor(t));
            values.put(tensor, v);
        }
        return v;
    }

    Value input(OnnxNode node, int k) throws IOException {
        if (!node.hasInput(k)) {
            throw node.refuse("input " + k + " is missing");
        }
        return value(node, node.input(k));
    }

    boolean isConstant(OnnxNode node, int k) throws IOException {
        return node.hasInput(k) && input(node, k) instanceof Constant;
    }

    /** Input k, which must be computed from the image. */
    Activation activation(OnnxNode node, int k) throws IOException {
        if (input(node, k) instanceof Activation a) {
            return a;
        }
        throw node.refuse("input " + node.input(k) + " is a constant where an image-dependent tensor was expected");
    }

    /** Input k, which must be known at load time (a weight or a folded shape). */
    Constant constant(OnnxNode node, int k) throws IOException {
        if (input(node, k) instanceof Constant c) {
            return c;
        }
        throw node.refuse("input " + node.input(k) + " must be a constant (a weight, or a shape known at load time)");
    }

    /** Optional constant input k, or null when the node omits it. */
    Constant optionalConstant(OnnxNode node, int k) throws IOException {
        return node.hasInput(k) ? constant(node, k) : null;
    }

    /** Whether a tensor has been read or computed. */
    boolean has(String tensor) {
        return values.containsKey(tensor) || initializers.containsKey(tensor);
    }

    /** Records the image input. */
    void putInput(String tensor, Activation image) {
        values.put(tensor, image);
    }

    /** Records output k of the node being read. */
    void put(OnnxNode node, int k, Value v) {
        values.put(node.output(k), v);
    }

    void put(OnnxNode node, Value v) {
        put(node, 0, v);
    }

    /**
     * Adds an engine op, owned by the current node's layer, reading these activations as they are stored. All
     * must share one layout, and the result keeps it: right for element-wise and per-channel ops, and for ops
     * that need NCHW once the caller has checked {@link Activation#plain}.
     *
     * @param shape the result's logical shape
     */
    Activation add(Op op, long[] shape, Activation... from) {
        int[] nodes = new int[from.length];
        for (int k = 0; k < from.length; k++) {
            if (!java.util.Arrays.equals(from[k].perm(), from[0].perm())) {
                throw current.refuse("combines activations stored in different layouts");
            }
            nodes[k] = from[k].node();
        }
        int n = builder.add(current.output(0), op, nodes);
        return new Activation(n, shape.clone(), from.length == 0 ? null : from[0].perm());
    }

    /** A tensor's values (an initializer, or a constant attribute). */
    INDArray tensor(Onnx.TensorProto t) throws IOException {
        return file.tensor(t);
    }

    /** An activation stored in its logical order: itself, or a copy permuted by an engine op. */
    Activation plain(Activation a) {
        if (a.plain()) {
            return a;
        }
        // Stored axis perm[i] holds logical axis i: permuting the stored array by perm puts them in order.
        int[] perImage = new int[a.rank() - 1];
        for (int i = 0; i < perImage.length; i++) {
            perImage[i] = a.perm()[i + 1] - 1;
        }
        return add(Ops.permute(perImage), a.shape(), new Activation(a.node(), a.physicalShape(), null));
    }

    /** Nodes added so far: the next node's number. */
    int size() {
        return builder.size();
    }

    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
