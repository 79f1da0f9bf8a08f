package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One layer of a Keras model configuration (Keras 2, tf.keras, Keras 3 or TF.js), with nested models
 * already flattened into their layers.
 *
 * @param name the layer's name (an inner layer of a nested model keeps its own name unless it clashes)
 * @param className Keras' class name, e.g. {@code Conv2D}: what the registry looks up
 * @param config the layer's {@code config} object
 * @param calls each time the layer is applied: its inputs and keyword arguments, in node order
 * @param weightsPath where the weights store finds its weights (format-specific, see {@link KerasWeightStore})
 */
public record KerasLayer(String name, String className, JsonNode config, List<Call> calls, WeightsPath weightsPath) {

    /** An input of a call: output {@code tensor} of call {@code node} of layer {@code layer}. */
    public record Ref(String layer, int node, int tensor) {
    }

    /** One application of the layer to {@code inputs}, with the call's other arguments (TFOpLambda's y). */
    public record Call(List<Ref> inputs, JsonNode kwargs) {
    }

    /**
     * How the weights store addresses this layer: the h5 group of its top-level layer and its name inside it
     * (Keras 2 nests a model's weights in the group of the model's layer), and Keras 3's object path.
     */
    public record WeightsPath(String group, String name, String keras3Path) {
    }

    /** A configuration value as text, or {@code fallback} when absent or null. */
    public String text(String key, String fallback) {
        JsonNode v = config.get(key);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    public double number(String key, double fallback) {
        JsonNode v = config.get(key);
        return v == null || v.isNull() ? fallback : v.asDouble();
    }

    public boolean flag(String key, boolean fallback) {
        JsonNode v = config.get(key);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    /** A pair of integers given as a number or a list of two (kernel_size, strides, size...). */
    public int[] pair(String key, int[] fallback) {
        JsonNode v = config.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (v.isNumber()) {
            return new int[] {v.asInt(), v.asInt()};
        }
        return new int[] {v.get(0).asInt(), v.get(v.size() > 1 ? 1 : 0).asInt()};
    }

    /** Whether the layer's data_format is channels_first (Keras 1's "th"). */
    public boolean channelsFirst() {
        String f = text("data_format", text("dim_ordering", "channels_last"));
        return f.equals("channels_first") || f.equals("th");
    }
}
