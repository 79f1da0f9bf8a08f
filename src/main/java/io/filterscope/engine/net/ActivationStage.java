package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ReLU family as Keras defines its ReLU layer: {@code f(x) = min(x, max)} for {@code x >= threshold},
 * else {@code slope * (x - threshold)}. A plain ReLU, leaky ReLU (slope), ReLU6 (max 6) and thresholded ReLU
 * are cases of it. During the first steps of a run the backward pass may use a leak slope below the
 * threshold even for a true ReLU, so that filters silent on the start image still get a gradient.
 */
final class ActivationStage extends Stage {
    private final double max;
    private final double slope;
    private final double threshold;
    private INDArray mask;
    private INDArray tmp;
    /** in, out, mask, tmp and gradIn as element-wise ops take them: their dense storage when all are stored channels last. */
    private INDArray[] operands;

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
        super.allocate(input);
        mask = ChannelsLast.like(out);
        tmp = ChannelsLast.like(out);
        operands = ChannelsLast.elementwise(in, out, mask, tmp, gradIn);
    }

    @Override
    void forward() {
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
        if (leak.uniform()) {
            if (operands[1] != out && ChannelsLast.is(gradOut)) {
                INDArray[] o = operands;
                backward(ChannelsLast.storage(gradOut), o[0], o[1], o[2], o[3], o[4], leak.slope());
            } else {
                // Plain arrays, or an output gradient stored otherwise than the rest: every array as NCHW.
                backward(gradOut, in, out, mask, tmp, gradIn, leak.slope());
            }
        } else {
            // Images at different steps of their leaky start: each stretch of rows as a batch of its own.
            leak.forEachStretch((from, to, slope) -> backward(Network.rows(gradOut, from, to), Network.rows(in, from, to),
                    Network.rows(out, from, to), Network.rows(mask, from, to), Network.rows(tmp, from, to),
                    Network.rows(gradIn, from, to), slope));
        }
    }

    private void backward(INDArray gradOut, INDArray in, INDArray out, INDArray mask, INDArray tmp, INDArray gradIn, double leak) {
        double below = Math.max(slope, leak);
        if (threshold == 0 && below == 0 && !capped()) {
            // sign(relu output) is the ReLU's derivative (0 or 1); sign-then-multiply runs several times faster
            // here than libnd4j's relu_bp (a per-element lambda), with identical results.
            // The derivative goes to gradIn itself, multiplied there in place: no third map passes through the cache.
            Nd4j.exec(new Sign(out, gradIn));
            Nd4j.exec(new ElementProduct(gradIn, gradOut, gradIn));
            return;
        }
        // d = [x > t] * [x < max] + [x <= t] * below
        Nd4j.exec(new Step(in, mask, threshold));
        if (capped()) {
            Nd4j.exec(new Step(in, tmp, max));
            mask.subi(tmp);
            // Above max both steps are 1: mask 0, and the below-threshold term is 0 there too.
        }
        if (below != 0) {
            Nd4j.exec(new Step(in, tmp, threshold));
            tmp.rsubi(1.0).muli(below);
            mask.addi(tmp);
        }
        Nd4j.exec(new ElementProduct(gradOut, mask, gradIn));
    }
}
