package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.Op;
import io.filterscope.engine.net.Ops;
import java.util.Locale;
import java.util.Set;

/** Keras' activation functions by name, as Conv2D, Dense and Activation layers name them. */
final class Activations {
    private static final Set<String> KNOWN = Set.of("linear", "relu", "relu6", "elu", "selu", "sigmoid", "hard_sigmoid",
            "swish", "silu", "hard_swish", "hard_silu", "gelu", "gelu_new", "tanh", "softmax", "softplus", "softsign",
            "leaky_relu");

    private Activations() {
    }

    /** The activation's name: a string, or Keras 3's serialized function ({@code {"config": "relu", ...}}). */
    static String name(JsonNode activation) {
        if (activation == null || activation.isNull()) {
            return "linear";
        }
        String n = activation.isObject() ? activation.path("config").asText(activation.path("class_name").asText("")) : activation.asText();
        // TF.js writes some in camel case ("hardSigmoid").
        return n.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** Why an activation cannot be computed, or null. */
    static String unsupported(JsonNode activation) {
        String n = name(activation);
        return KNOWN.contains(n) ? null : "activation '" + n + "'";
    }

    /** The op for an activation other than softmax; null for linear. */
    static Op op(String name, KerasDialect dialect) {
        return switch (name) {
            case "linear" -> null;
            case "relu" -> Ops.relu();
            case "relu6" -> Ops.relu(6, 0, 0);
            case "leaky_relu" -> Ops.leakyRelu(0.2);
            case "elu" -> Ops.elu(1);
            case "selu" -> Ops.activation(Ops.Activation.SELU);
            case "sigmoid" -> Ops.activation(Ops.Activation.SIGMOID);
            case "hard_sigmoid" -> dialect == KerasDialect.KERAS3 ? Ops.hardSigmoid(1.0 / 6, 0.5) : Ops.hardSigmoid(0.2, 0.5);
            case "swish", "silu" -> Ops.activation(Ops.Activation.SWISH);
            case "hard_swish", "hard_silu" -> Ops.activation(Ops.Activation.HARD_SWISH);
            case "gelu" -> Ops.activation(Ops.Activation.GELU);
            case "gelu_new" -> Ops.activation(Ops.Activation.GELU_TANH);
            case "tanh" -> Ops.activation(Ops.Activation.TANH);
            case "softplus" -> Ops.activation(Ops.Activation.SOFTPLUS);
            case "softsign" -> Ops.activation(Ops.Activation.SOFTSIGN);
            default -> throw new IllegalArgumentException("activation '" + name + "' is not supported");
        };
    }
}
