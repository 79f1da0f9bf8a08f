package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.Ops;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Layers that Keras applications define themselves, and the TensorFlow operations tf.keras records when a
 * functional model does arithmetic on tensors: CustomScaleLayer (InceptionResNetV2's scaled residual,
 * {@code x + scale * residual}), LayerScale (ConvNeXt, a learned per-channel factor), and TFOpLambda for
 * a few element-wise functions with a constant operand (tf.keras' MobileNetV3 computes its hard sigmoid as
 * {@code relu6(x + 3) * (1/6)}). These are computed from their configuration; no model code is run.
 */
final class ApplicationLayers {
    private static final Set<String> SCALAR_OPS = Set.of("__operators__.add", "math.add", "math.subtract", "__operators__.sub",
            "math.multiply", "math.truediv", "__operators__.truediv");
    private static final Map<String, String> UNARY = Map.of("nn.relu", "relu", "nn.relu6", "relu6", "math.sigmoid", "sigmoid",
            "nn.silu", "swish", "nn.swish", "swish", "math.tanh", "tanh");

    private ApplicationLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("CustomScaleLayer", (l, in, g) -> {
            KerasTensor residual = g.apply(l, Ops.scale(l.number("scale", 1), 0), in.get(1));
            return new KerasTensor(g.add(l, Ops.join(Ops.Join.ADD), MergeLayers.aligned(l, List.of(in.get(0), residual), g)),
                    in.get(0).order());
        });
        r.put("LayerScale", (l, in, g) -> {
            INDArray gamma = g.weights(l).take("gamma").reshape(-1);
            KerasTensor x = g.channelsAt(l, in.get(0), -1);
            return g.apply(l, Ops.affine(gamma, Nd4j.zeros(gamma.dataType(), gamma.length())), x);
        });
        r.put("TFOpLambda", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                String fn = l.text("function", "");
                if (UNARY.containsKey(fn)) {
                    return null;
                }
                if (!SCALAR_OPS.contains(fn)) {
                    return "TensorFlow function tf." + fn;
                }
                for (KerasLayer.Call c : l.calls()) {
                    if (!operand(c).isNumber()) {
                        return "tf." + fn + " of two tensors";
                    }
                }
                return null;
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) throws IOException {
                String fn = l.text("function", "");
                if (UNARY.containsKey(fn)) {
                    return g.activation(l, com.fasterxml.jackson.databind.node.TextNode.valueOf(UNARY.get(fn)), in.get(0));
                }
                double y = operand(l.calls().get(0)).asDouble();
                return g.apply(l, switch (fn) {
                    case "__operators__.add", "math.add" -> Ops.scale(1, y);
                    case "math.subtract", "__operators__.sub" -> Ops.scale(1, -y);
                    case "math.multiply" -> Ops.scale(y, 0);
                    default -> Ops.scale(1 / y, 0);
                }, in.get(0));
            }
        });
    }

    /** A TFOpLambda call's second operand, y. */
    private static JsonNode operand(KerasLayer.Call call) {
        return call.kwargs().path("y");
    }
}
