package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;

/** Element-wise activations. A Softmax that ends the graph is left out: class objectives maximize logits. */
final class ActivationReaders {
    private ActivationReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("Relu", 1, (n, g) -> unary(n, g, Ops.relu()));
        r.add("LeakyRelu", 1, (n, g) -> unary(n, g, Ops.leakyRelu(n.f("alpha", 0.01f))));
        r.add("Softmax", 1, ActivationReaders::softmax);
    }

    static void unary(OnnxNode n, OnnxGraph g, io.filterscope.engine.net.Op op) throws IOException {
        Activation x = g.activation(n, 0);
        g.put(n, g.add(op, x.shape(), x));
    }

    private static void softmax(OnnxNode n, OnnxGraph g) throws IOException {
        if (g.consumers(n.output(0)) == 0) {
            // The model's probabilities: not a layer; the logits before it are the output layer.
            return;
        }
        throw n.refuse("a softmax inside the network is not supported yet");
    }
}
