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

    /** "scale 0.003922", "scale 0.007843-1": four significant digits, enough to tell 1/255 from 1/127.5. */
    @Override
    String kind() {
        return "scale " + readable(scale) + (offset == 0 ? "" : (offset > 0 ? "+" : "") + readable(offset));
    }

    private static String readable(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
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
