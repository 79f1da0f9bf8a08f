package io.filterscope.model.keras;

import io.filterscope.engine.net.Ops;
import java.util.Map;

/** Dense, Activation, the dropout family and other layers that are the identity at inference. */
final class CoreLayers {
    private CoreLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("Dense", CoreLayers::dense);
        r.put("Activation", (l, in, g) -> g.activation(l, l.config().get("activation"), in.get(0)));
        KerasLayerReader identity = (l, in, g) -> in.get(0);
        for (String cls : new String[] {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
            "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Identity", "StochasticDepth", "Masking"}) {
            r.put(cls, identity);
        }
    }

    /**
     * Dense on rows; on maps it acts on the last Keras axis at every position, which is a 1x1 convolution
     * (ConvNeXt's pointwise layers). Kernel [in, out].
     */
    private static KerasTensor dense(KerasLayer l, java.util.List<KerasTensor> in, KerasGraph g) throws java.io.IOException {
        LayerWeights w = g.weights(l);
        var kernel = w.take("kernel");
        var bias = l.flag("use_bias", true) ? w.take("bias") : null;
        KerasTensor x = in.get(0);
        KerasTensor y;
        if (x.maps()) {
            x = g.channelsAt(l, x, -1);
            var conv = kernel.transpose().reshape('c', kernel.size(1), kernel.size(0), 1, 1).dup('c');
            y = g.apply(l, Ops.conv2d(conv, bias, new int[] {1, 1}, io.filterscope.engine.net.Padding.valid(), new int[] {1, 1}, 1), x);
        } else {
            y = g.apply(l, Ops.dense(kernel, bias), x);
        }
        return g.activation(l, l.config().get("activation"), y);
    }
}
