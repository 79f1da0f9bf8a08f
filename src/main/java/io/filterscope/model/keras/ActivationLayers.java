package io.filterscope.model.keras;

import io.filterscope.engine.net.Ops;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** ReLU (max_value, negative_slope, threshold), LeakyReLU, ELU, ThresholdedReLU, PReLU and Softmax layers. */
final class ActivationLayers {
    private ActivationLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("ReLU", (l, in, g) -> g.apply(l, Ops.relu(l.number("max_value", Double.POSITIVE_INFINITY),
                l.number("negative_slope", 0), l.number("threshold", 0)), in.get(0)));
        // Keras 2 and TF.js call the slope alpha, Keras 3 negative_slope; 0.3 by default in both.
        r.put("LeakyReLU", (l, in, g) -> g.apply(l, Ops.leakyRelu(l.number("negative_slope", l.number("alpha", 0.3))), in.get(0)));
        r.put("ELU", (l, in, g) -> g.apply(l, Ops.elu(l.number("alpha", 1)), in.get(0)));
        r.put("ThresholdedReLU", (l, in, g) -> g.apply(l, Ops.relu(Double.POSITIVE_INFINITY, 0, l.number("theta", 1)), in.get(0)));
        r.put("PReLU", ActivationLayers::prelu);
        r.put("Softmax", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                return l.config().path("axis").isArray() && l.config().get("axis").size() > 1 ? "softmax over several axes" : null;
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) {
                if (g.isFinal(l)) {
                    return in.get(0);
                }
                int axis = (int) (l.config().path("axis").isArray() ? l.config().get("axis").get(0).asInt() : l.number("axis", -1));
                KerasTensor x = g.channelsAt(l, in.get(0), axis < 0 ? axis : axis - 1);
                return g.apply(l, Ops.softmax(), x);
            }
        });
    }

    /** Keras' alpha has the input's per-image shape in Keras' layout, with 1 along shared axes. */
    private static KerasTensor prelu(KerasLayer l, List<KerasTensor> in, KerasGraph g) throws IOException {
        INDArray alpha = g.weights(l).take("alpha");
        KerasTensor x = in.get(0);
        if (x.maps()) {
            x = g.maps(l, x);
            alpha = alpha.reshape('c', alpha.length() == alpha.size(-1) ? new long[] {1, 1, alpha.length()} : alpha.shape())
                    .permute(x.order()).dup('c');
        }
        return g.apply(l, Ops.prelu(alpha), x);
    }
}
