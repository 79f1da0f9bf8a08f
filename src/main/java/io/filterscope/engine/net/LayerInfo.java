package io.filterscope.engine.net;

import java.util.List;

/**
 * A layer an objective can target: its name as the model names it, what it is, how many channels (filters
 * or units) it has, and its output shape [c, h, w] (or [units] for dense layers) for one image.
 */
public record LayerInfo(String name, String kind, long channels, List<Long> outputShape) {

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
