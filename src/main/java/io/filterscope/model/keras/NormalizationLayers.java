package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.Ops;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * BatchNormalization (moving statistics; any of center and scale off), LayerNormalization (over one axis),
 * and the preprocessing layers Rescaling and Normalization, which put a model's input scaling in its graph.
 */
final class NormalizationLayers {
    /** Keras' backend.epsilon(), Normalization's floor on the standard deviation. */
    private static final double KERAS_EPSILON = 1e-7;

    private NormalizationLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("BatchNormalization", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                return singleAxis(l);
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) throws IOException {
                LayerWeights w = g.weights(l);
                INDArray gamma = l.flag("scale", true) ? w.take("gamma") : null;
                INDArray beta = l.flag("center", true) ? w.take("beta") : null;
                INDArray mean = w.take("moving_mean");
                INDArray variance = w.take("moving_variance");
                INDArray ones = Nd4j.ones(mean.dataType(), mean.length());
                KerasTensor x = g.channelsAt(l, in.get(0), axis(l));
                return g.apply(l, Ops.batchNorm(gamma != null ? gamma : ones, beta != null ? beta : ones.mul(0), mean, variance,
                        l.number("epsilon", 1e-3)), x);
            }
        });
        r.put("LayerNormalization", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                return singleAxis(l);
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) throws IOException {
                LayerWeights w = g.weights(l);
                INDArray gamma = l.flag("scale", true) ? w.take("gamma") : null;
                INDArray beta = l.flag("center", true) ? w.take("beta") : null;
                KerasTensor x = g.channelsAt(l, in.get(0), axis(l));
                return g.apply(l, Ops.layerNorm(gamma, beta, l.number("epsilon", 1e-3)), x);
            }
        });
        r.put("Rescaling", (l, in, g) -> {
            JsonNode scale = l.config().get("scale");
            JsonNode offset = l.config().get("offset");
            if ((scale == null || scale.isNumber()) && (offset == null || offset.isNumber())) {
                return g.apply(l, Ops.scale(l.number("scale", 1), l.number("offset", 0)), in.get(0));
            }
            KerasTensor x = g.channelsAt(l, in.get(0), -1);
            return g.apply(l, Ops.affine(vector(scale), vector(offset)), x);
        });
        r.put("Normalization", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                return l.flag("invert", false) ? "invert=True (denormalization)" : singleAxis(l);
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) throws IOException {
                // Given at construction the statistics are in the configuration; adapted, they are weights.
                INDArray mean;
                INDArray variance;
                if (l.config().hasNonNull("mean") && l.config().hasNonNull("variance")) {
                    mean = vector(l.config().get("mean"));
                    variance = vector(l.config().get("variance"));
                } else {
                    LayerWeights w = g.weights(l);
                    mean = w.take("mean");
                    variance = w.take("variance");
                }
                INDArray std = Transforms.max(Transforms.sqrt(variance.castTo(DataType.DOUBLE).reshape(-1), true), KERAS_EPSILON, false);
                INDArray scale = std.rdiv(1.0);
                INDArray shift = mean.castTo(DataType.DOUBLE).reshape(-1).mul(scale).negi();
                KerasTensor x = g.channelsAt(l, in.get(0), axis(l));
                if (scale.length() == 1) {
                    return g.apply(l, Ops.scale(scale.getDouble(0), shift.getDouble(0)), x);
                }
                return g.apply(l, Ops.affine(scale, shift), x);
            }
        });
    }

    /** A numeric value or list as a [n] vector. */
    private static INDArray vector(JsonNode v) {
        if (v == null || v.isNull()) {
            return Nd4j.zeros(DataType.DOUBLE, 1);
        }
        if (v.isNumber()) {
            return Nd4j.createFromArray(v.asDouble());
        }
        double[] d = new double[v.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = v.get(i).asDouble();
        }
        return Nd4j.createFromArray(d);
    }

    /** The normalized axis per image (negative from the end), from an int or a one-element list. */
    static int axis(KerasLayer l) {
        JsonNode a = l.config().get("axis");
        int axis = a == null || a.isNull() ? -1 : a.isArray() ? a.get(0).asInt() : a.asInt();
        return axis < 0 ? axis : axis - 1;
    }

    private static String singleAxis(KerasLayer l) {
        JsonNode a = l.config().get("axis");
        return a != null && a.isArray() && a.size() > 1 ? "normalization over several axes " + a : null;
    }
}
