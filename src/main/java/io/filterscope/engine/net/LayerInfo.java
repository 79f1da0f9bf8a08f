package io.filterscope.engine.net;

import io.filterscope.UserError;
import java.util.List;

/**
 * A layer an objective can target: its name as the model names it, what it is, how many channels (filters
 * or units) it has, its output shape [c, h, w] (or [units] for dense layers) for one image, and a second name
 * the layer also answers to (an ONNX node's name beside its output tensor's), or null.
 */
public record LayerInfo(String name, String kind, long channels, List<Long> outputShape, String alias) {

    public LayerInfo(String name, String kind, long channels, List<Long> outputShape) {
        this(name, kind, channels, outputShape, null);
    }

    /**
     * The layer of {@code layers} that {@code n} names (by name or second name).
     *
     * @param where what the layers belong to, for the message: {@code " in model emoji-cnn"}, or empty
     * @throws UserError not found: {@code unknown layer 'zz' in model emoji-cnn (layers: conv1, relu1, ...)}
     */
    public static LayerInfo named(List<LayerInfo> layers, String n, String where) {
        return layers.stream().filter(l -> l.answersTo(n)).findFirst()
                .orElseThrow(() -> UserError.notFound("unknown layer '" + n + "'" + where + " (layers: "
                        + String.join(", ", layers.stream().map(LayerInfo::name).toList()) + ")"));
    }

    /** Whether {@code n} names this layer, by its name or its second name. */
    public boolean answersTo(String n) {
        return name.equals(n) || n.equals(alias);
    }

    /**
     * Whether its maps have more than one position ([c, h, w] with h x w > 1): what a picture of a map, Grad-CAM or a
     * default view needs (a global pool keeping its dimensions, a squeeze-excitation convolution give [c, 1, 1]).
     */
    public boolean hasPositions() {
        return spatial() && height() * width() > 1;
    }

    public boolean spatial() {
        return outputShape.size() == 3;
    }

    public long height() {
        return spatial() ? outputShape.get(1) : 1;
    }

    public long width() {
        return spatial() ? outputShape.get(2) : 1;
    }
}
