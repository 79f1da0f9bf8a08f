package io.filterscope.engine.net;

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

    /** Whether {@code n} names this layer, by its name or its second name. */
    public boolean answersTo(String n) {
        return name.equals(n) || n.equals(alias);
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
