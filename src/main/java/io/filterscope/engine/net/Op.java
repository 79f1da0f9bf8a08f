package io.filterscope.engine.net;

import java.util.function.BiFunction;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One operation of a {@link ModelGraph}: what it computes, with its settings and weights, for any batch and
 * image size. Made by the factories of {@link Ops}; each compiled {@link Network} gets stages of its own from
 * it, sharing the weights.
 */
public final class Op {
    private final BiFunction<String, DataType, Stage> stage;

    Op(BiFunction<String, DataType, Stage> stage) {
        this.stage = stage;
    }

    /** A new stage computing this op in {@code dtype}, owned by {@code layer} (may be null). */
    Stage stage(String layer, DataType dtype) {
        return stage.apply(layer, dtype);
    }
}
