package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ReLU family as Keras defines its ReLU layer: {@code f(x) = min(x, max)} for {@code x >= threshold},
 * else {@code slope * (x - threshold)}. A plain ReLU, leaky ReLU (slope), ReLU6 (max 6) and thresholded ReLU
 * are cases of it. During the first steps of a run the backward pass may use a leak slope below the
 * threshold even for a true ReLU, so that filters silent on the start image still get a gradient.
 * <p>
 * A plain ReLU whose input the convolution before it already rectified ({@link #readRectified}, {@link
 * ConvStage#rectify}) computes nothing forward: its output is its input. Backward it works from that output, which is
 * positive exactly where the convolution's own output was, so every gradient, leaky or not, is what it was. A plain
 * ReLU's gradient without a leak is one oneDNN primitive where it can be ({@link DirectRelu}).
 */
final class ActivationStage extends Stage {
    private final double max;
    private final double slope;
    private final double threshold;
    private INDArray mask;
    private INDArray tmp;
    /** in, out, mask, tmp and gradIn as element-wise ops take them: their dense storage when all are stored channels last. */
    private INDArray[] operands;
    /** The convolution asked to rectify this stage's input ({@link #readRectified}), or null. */
    private ConvStage rectifier;
    /** Whether the input is rectified, the output being the input itself: the rectifier does it ({@link #allocate}). */
    private boolean rectifiedInput;
    /** The backward pass without a leak as a oneDNN primitive, or null (libnd4j's ops). */
    private DirectRelu direct;

    /** {@code max} may be infinite (no cap); {@code slope} 0 and {@code threshold} 0 make a plain ReLU. */
    ActivationStage(String layer, double max, double slope, double threshold) {
        super(layer);
        if (!(max > threshold)) {
            throw new IllegalArgumentException("ReLU max " + max + " must exceed its threshold " + threshold);
        }
        this.max = max;
        this.slope = slope;
        this.threshold = threshold;
    }

    private boolean capped() {
        return max != Double.POSITIVE_INFINITY;
    }

    /** Whether this is a plain ReLU, {@code max(x, 0)}. */
    boolean plain() {
        return threshold == 0 && slope == 0 && !capped();
    }

    /**
     * Takes its input from {@code conv}, asked to rectify it ({@link ConvStage#rectify}): where the convolution does
     * ({@link ConvStage#rectifies}, known once it is allocated), the output is the input array itself and the forward
     * pass does nothing; else this stage computes as before. Only for a {@link #plain} ReLU, before {@link #allocate}.
     *
     * @throws IllegalStateException for another member of the family
     */
    void readRectified(ConvStage conv) {
        if (!plain()) {
            throw new IllegalStateException(kind() + " is not a plain ReLU");
        }
        rectifier = conv;
    }

    /** Whether the output may be the input array: asked of the stages before it is allocated, so as requested. */
    @Override
    boolean outputIsInput() {
        return rectifier != null;
    }

    @Override
    String description() {
        return rectifiedInput ? kind() + " (done by the convolution)" : kind();
    }

    @Override
    String kind() {
        if (!capped() && threshold == 0) {
            return slope == 0 ? "relu" : "leakyrelu " + slope;
        }
        return "relu" + (capped() ? " max " + max : "") + (slope != 0 ? " slope " + slope : "")
                + (threshold != 0 ? " threshold " + threshold : "");
    }

    @Override
    long[] outputShape(long[] s) {
        return s;
    }

    /** Element-wise: any layout, the output stored as the input is (see {@link ChannelsLast}). */
    @Override
    boolean takesChannelsLast() {
        return true;
    }

    @Override
    boolean outputChannelsLast(INDArray input) {
        return ChannelsLast.is(input);
    }

    @Override
    void allocate(INDArray input) {
        rectifiedInput = rectifier != null && rectifier.rectifies() && rectifier.out == input;
        if (rectifiedInput) {
            in = input;
            out = input;
            gradIn = ChannelsLast.like(input);
        } else {
            super.allocate(input);
        }
        if (plain()) {
            direct = DirectRelu.backward(out, gradIn);
        }
        mask = ChannelsLast.like(out);
        tmp = ChannelsLast.like(out);
        operands = ChannelsLast.elementwise(in, out, mask, tmp, gradIn);
    }

    @Override
    void forward() {
        if (rectifiedInput) {
            return;
        }
        INDArray x = operands[0];
        INDArray y = operands[1];
        if (threshold == 0 && slope == 0) {
            exec("relu", new INDArray[] {x}, new INDArray[] {y}, new int[0], 0.0);
            if (capped()) {
                Nd4j.exec(new ScalarMin(y, null, y, max));
            }
            return;
        }
        INDArray m = operands[2];
        INDArray t = operands[3];
        // (libnd4j's lrelu takes its slope as a float: 0.3 became 0.30000001.)
        // m = [x > threshold]; y = m * min(x, max) + (1 - m) * slope * (x - threshold)
        Nd4j.exec(new Step(x, m, threshold));
        Nd4j.exec(new ScalarMin(x, null, y, max));
        y.muli(m);
        x.sub(threshold, t).muli(slope);
        m.rsub(1.0, m).muli(t);
        y.addi(m);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (direct != null && leak == Leak.NONE && direct.run(out, gradOut, gradIn)) {
            return;
        }
        if (operands[1] != out && ChannelsLast.is(gradOut)) {
            INDArray[] o = operands;
            backward(ChannelsLast.storage(gradOut), o[0], o[1], o[2], o[3], o[4], leak);
        } else {
            // Plain arrays, or an output gradient stored otherwise than the rest: every array as NCHW.
            backward(gradOut, in, out, mask, tmp, gradIn, leak);
        }
    }

    /**
     * The input's gradient from the output's. Images at different steps of their leaky start (a slope per row) take
     * the same ops over the whole batch, each row with its own slope ({@link #perRow}): row by row the same values as a
     * batch of each slope alone. Done a stretch of rows at a time on views of the maps, a batch of 30 runs' leaky
     * steps took 3.5 times a step without a leak (docs/performance.md).
     */
    private void backward(INDArray gradOut, INDArray in, INDArray out, INDArray mask, INDArray tmp, INDArray gradIn, Leak leak) {
        double[] below = leak.slopes(slope);
        boolean leaks = java.util.Arrays.stream(below).anyMatch(b -> b != 0);
        if (threshold == 0 && !leaks && !capped()) {
            // sign(relu output) is the ReLU's derivative (0 or 1); sign-then-multiply runs several times faster
            // here than libnd4j's relu_bp (a per-element lambda), with identical results.
            // The derivative goes to gradIn itself, multiplied there in place: no third map passes through the cache.
            Nd4j.exec(new Sign(out, gradIn));
            Nd4j.exec(new ElementProduct(gradIn, gradOut, gradIn));
            return;
        }
        // d = [x > t] * [x < max] + [x <= t] * below
        Nd4j.exec(new Step(in, mask, threshold));
        if (!capped() && java.util.Arrays.stream(below).allMatch(b -> b <= 1)) {
            // [x > t] is 0 or 1, so d is the larger of it and the slope: 1 or the slope, the values the sum gives.
            if (leaks) {
                perRow(mask, below, ScalarMax::new);
            }
        } else {
            if (capped()) {
                Nd4j.exec(new Step(in, tmp, max));
                mask.subi(tmp);
                // Above max both steps are 1: mask 0, and the below-threshold term is 0 there too.
            }
            if (leaks) {
                Nd4j.exec(new Step(in, tmp, threshold));
                tmp.rsubi(1.0);
                perRow(tmp, below, ScalarMultiplication::new);
                mask.addi(tmp);
            }
        }
        Nd4j.exec(new ElementProduct(gradOut, mask, gradIn));
    }

    /**
     * {@code a} (images first, one of this stage's own arrays) combined in place with its images' values {@code each}
     * (one for all, or one per image) by {@code op}: a scalar op, or one scalar per row of its dense storage seen as
     * [images, values] (libnd4j's scalar op along a dimension). A broadcast of a column along the rows took 40 times as
     * long (4.3 against 0.1 ms on 32 maps of 32 x 24 x 24: it walks the batch dimension as many short strided vectors).
     */
    private static void perRow(INDArray a, double[] each, ScalarOp op) {
        INDArray dense = ChannelsLast.is(a) ? ChannelsLast.storage(a) : a;
        if (each.length == 1) {
            Nd4j.exec(op.of(dense, null, dense, each[0]));
            return;
        }
        INDArray rows = dense.reshape('c', each.length, dense.length() / each.length);
        BaseScalarOp perRow = op.of(rows, Nd4j.create(each, new long[] {each.length}, a.dataType()), rows, 0);
        perRow.setDimension(1);
        Nd4j.exec(perRow);
    }

    @FunctionalInterface
    private interface ScalarOp {
        BaseScalarOp of(INDArray x, INDArray y, INDArray z, Number value);
    }
}
