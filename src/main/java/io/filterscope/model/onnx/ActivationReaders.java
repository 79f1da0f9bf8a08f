package io.filterscope.model.onnx;

import io.filterscope.engine.net.Op;
import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise activations, and Softmax over the channels. A Softmax that ends the graph is left out: class
 * objectives maximize logits. GELU and SiLU written out by exporters arrive here as single fused nodes
 * ({@link OnnxFusions}).
 */
final class ActivationReaders {
    private ActivationReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("Relu", 1, (n, g) -> unary(n, g, Ops.relu()));
        r.add("LeakyRelu", 1, (n, g) -> unary(n, g, Ops.leakyRelu(n.f("alpha", 0.01f))));
        r.add("Clip", 1, (n, g) -> clip(n, g, n.f("min", Float.NEGATIVE_INFINITY), n.f("max", Float.POSITIVE_INFINITY)));
        r.add("Clip", 11, (n, g) -> clip(n, g,
                g.optionalConstant(n, 1) == null ? Double.NEGATIVE_INFINITY : g.constant(n, 1).value().getDouble(0),
                g.optionalConstant(n, 2) == null ? Double.POSITIVE_INFINITY : g.constant(n, 2).value().getDouble(0)));
        r.add("Sigmoid", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.SIGMOID)));
        r.add("Tanh", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.TANH)));
        r.add("HardSigmoid", 1, (n, g) -> unary(n, g, Ops.hardSigmoid(n.f("alpha", 0.2f), n.f("beta", 0.5f))));
        r.add("HardSwish", 14, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.HARD_SWISH)));
        r.add("Elu", 1, (n, g) -> unary(n, g, Ops.elu(n.f("alpha", 1f))));
        r.add("Selu", 1, ActivationReaders::selu);
        r.add("Softplus", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.SOFTPLUS)));
        r.add("Softsign", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.SOFTSIGN)));
        r.add("PRelu", 1, ActivationReaders::prelu);
        r.add("Softmax", 1, ActivationReaders::softmax);
        r.add(OnnxOpReaders.FUSED, "Gelu", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.GELU)));
        r.add(OnnxOpReaders.FUSED, "Silu", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.SWISH)));
        r.add(OnnxOpReaders.FUSED, "HardSwish", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.HARD_SWISH)));
        r.add(OnnxOpReaders.FUSED, "Softsign", 1, (n, g) -> unary(n, g, Ops.activation(Ops.Activation.SOFTSIGN)));
    }

    static void unary(OnnxNode n, OnnxGraph g, Op op) throws IOException {
        Activation x = g.activation(n, 0);
        g.put(n, g.add(op, x.shape(), x));
    }

    /** Clip from 0 is a capped ReLU (ReLU6); other lower bounds are not activations CNNs use. */
    private static void clip(OnnxNode n, OnnxGraph g, double min, double max) throws IOException {
        if (min != 0) {
            throw n.refuse("only clipping from 0 (a ReLU with a cap, such as ReLU6) is supported, got min " + min);
        }
        unary(n, g, Ops.relu(max, 0, 0));
    }

    private static void selu(OnnxNode n, OnnxGraph g) throws IOException {
        if (Math.abs(n.f("alpha", 1.67326f) - 1.67326f) > 1e-4 || Math.abs(n.f("gamma", 1.0507f) - 1.0507f) > 1e-4) {
            throw n.refuse("only SELU with its standard alpha and gamma is supported");
        }
        unary(n, g, Ops.activation(Ops.Activation.SELU));
    }

    /** PReLU with a slope per channel (or one slope), broadcast over the map. */
    private static void prelu(OnnxNode n, OnnxGraph g) throws IOException {
        Activation x = g.activation(n, 0);
        INDArray slope = ElementwiseReaders.perChannel(n, x, g.constant(n, 1).value());
        long[] perImage = new long[x.rank() - 1];
        java.util.Arrays.fill(perImage, 1);
        perImage[0] = slope.length();
        g.put(n, g.add(Ops.prelu(slope.castTo(DataType.FLOAT).reshape(perImage)), x.shape(), x));
    }

    private static void softmax(OnnxNode n, OnnxGraph g) throws IOException {
        if (g.consumers(n.output(0)) == 0) {
            // The model's probabilities: not a layer; the logits before it are the output layer.
            return;
        }
        Activation x = g.activation(n, 0);
        int axis = (int) ShapeReaders.axis(n.i("axis", n.opset() >= 13 ? -1 : 1), x.rank());
        boolean last = axis == x.rank() - 1;
        if (x.physical(axis) != 1 || (n.opset() < 13 && !last)) {
            throw n.refuse("only a softmax over the channels is supported (axis " + axis + " of " + OnnxGraph.shape(x.shape()) + ")");
        }
        g.put(n, g.add(Ops.softmax(), x.shape(), x));
    }
}
