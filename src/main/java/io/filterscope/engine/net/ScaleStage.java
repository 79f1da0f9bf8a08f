package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;

/** {@code x * scale + offset} with the same two numbers everywhere (Keras' Rescaling, a scalar arithmetic op). */
final class ScaleStage extends Stage {
    private final double scale;
    private final double offset;

    ScaleStage(String layer, double scale, double offset) {
        super(layer);
        this.scale = scale;
        this.offset = offset;
    }

    @Override
    String kind() {
        return "scale " + scale + (offset == 0 ? "" : (offset > 0 ? "+" : "") + offset);
    }

    @Override
    long[] outputShape(long[] s) {
        return s;
    }

    @Override
    void forward() {
        in.mul(scale, out).addi(offset);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        gradOut.mul(scale, gradIn);
    }
}
