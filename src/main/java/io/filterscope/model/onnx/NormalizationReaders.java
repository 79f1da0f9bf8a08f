package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;

/** BatchNormalization at inference (running statistics), folded into one scale and shift per channel. */
final class NormalizationReaders {
    private NormalizationReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("BatchNormalization", 1, NormalizationReaders::batchNorm);
    }

    private static void batchNorm(OnnxNode n, OnnxGraph g) throws IOException {
        if (n.i("training_mode", 0) != 0 || n.i("is_test", 1) == 0) {
            throw n.refuse("batch normalization in training mode is not supported; export the model in eval mode");
        }
        Activation x = g.activation(n, 0);
        if (x.physical(1) != 1 || (x.rank() != 2 && x.rank() != 4)) {
            throw n.refuse("normalizes axis 1 of " + OnnxGraph.shape(x.shape()) + ", which is not the channels of maps or rows");
        }
        g.put(n, g.add(Ops.batchNorm(g.constant(n, 1).value(), g.constant(n, 2).value(), g.constant(n, 3).value(),
                g.constant(n, 4).value(), n.f("epsilon", 1e-5f)), x.shape(), x));
    }
}
