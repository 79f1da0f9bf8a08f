package io.filterscope.engine.net;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Element-wise join of inputs of one rank, broadcasting axes of size 1 as numpy does: a ResNet's residual
 * addition, a squeeze-and-excitation block's product of [n, c, h, w] maps with [n, c, 1, 1] weights, a
 * difference, average, maximum or minimum. An input's gradient is summed over the axes it was broadcast
 * along. An addition of same-shaped inputs passes its output gradient on unchanged, without a copy; a maximum
 * or minimum sends it to the inputs that hold the extreme value, shared equally among ties.
 */
final class ElementWiseStage extends Stage {
    private final Ops.Join op;
    private INDArray[] ins;
    private INDArray[] grads;
    private INDArray full;
    private INDArray mask;
    private INDArray passed;
    private INDArray ties;

    ElementWiseStage(String layer, Ops.Join op) {
        super(layer);
        this.op = op;
    }

    @Override
    String kind() {
        return op.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    long[] outputShape(long[] inputShape) {
        return inputShape;
    }

    @Override
    long[] outputShape(long[][] inputShapes) {
        long[] shape = inputShapes[0].clone();
        for (long[] s : inputShapes) {
            for (int d = 0; d < Math.min(shape.length, s.length); d++) {
                shape[d] = Math.max(shape[d], s[d]);
            }
        }
        return shape;
    }

    @Override
    void allocate(INDArray[] inputs) {
        if (op == Ops.Join.SUBTRACT && inputs.length != 2) {
            throw new IllegalStateException("layer " + layer + ": subtract takes two inputs, got " + inputs.length);
        }
        long[] shape = inputs[0].shape().clone();
        for (INDArray x : inputs) {
            long[] s = x.shape();
            for (int d = 0; d < shape.length; d++) {
                if (s.length != shape.length || (s[d] != shape[d] && s[d] != 1 && shape[d] != 1)) {
                    throw new IllegalArgumentException("layer " + layer + " joins shapes " + Arrays.toString(inputs[0].shape())
                            + " and " + Arrays.toString(s));
                }
                shape[d] = Math.max(shape[d], s[d]);
            }
        }
        ins = inputs;
        in = inputs[0];
        out = Nd4j.create(inputs[0].dataType(), shape);
        grads = new INDArray[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            boolean passOn = op == Ops.Join.ADD && Arrays.equals(inputs[k].shape(), shape);
            grads[k] = passOn ? null : inputs[k].like();
        }
        if (op == Ops.Join.PRODUCT) {
            full = out.like();
        }
        if (op == Ops.Join.MAX || op == Ops.Join.MIN) {
            mask = out.like();
            ties = out.like();
        }
    }

    private String nativeOp() {
        return switch (op) {
            case ADD, AVERAGE -> "add";
            case SUBTRACT -> "subtract";
            case PRODUCT -> "multiply";
            case MAX -> "maximum";
            case MIN -> "minimum";
        };
    }

    @Override
    void forward() {
        if (Arrays.equals(ins[0].shape(), out.shape())) {
            out.assign(ins[0]);
        } else {
            out.assign(0);
            pairwise("add", out, ins[0], out);
        }
        for (int k = 1; k < ins.length; k++) {
            pairwise(nativeOp(), out, ins[k], out);
        }
        if (op == Ops.Join.AVERAGE) {
            out.divi(ins.length);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        passed = gradOut;
        for (int k = 0; k < ins.length; k++) {
            if (grads[k] == null) {
                continue;
            }
            switch (op) {
                case ADD -> sumTo(gradOut, grads[k]);
                case AVERAGE -> {
                    sumTo(gradOut, grads[k]);
                    grads[k].divi(ins.length);
                }
                case SUBTRACT -> {
                    sumTo(gradOut, grads[k]);
                    if (k == 1) {
                        grads[k].negi();
                    }
                }
                case PRODUCT -> {
                    full.assign(gradOut);
                    for (int j = 0; j < ins.length; j++) {
                        if (j != k) {
                            pairwise("multiply", full, ins[j], full);
                        }
                    }
                    sumTo(full, grads[k]);
                }
                case MAX, MIN -> {
                    // The inputs that hold the output's value share its gradient equally (as TensorFlow does).
                    if (k == 0) {
                        ties.assign(0);
                        for (INDArray x : ins) {
                            ties.addi(holds(x));
                        }
                    }
                    holds(ins[k]).divi(ties).muli(gradOut);
                    sumTo(mask, grads[k]);
                }
            }
        }
    }

    /** {@link #mask} = 1 where {@code x} (broadcast) equals the output, else 0; returned. */
    private INDArray holds(INDArray x) {
        pairwise("subtract", out, x, mask);
        Transforms.abs(mask, false);
        Nd4j.exec(new Step(mask, mask, 0));
        return mask.rsubi(1.0);
    }

    /** An addition's input of the output's shape gets the output gradient itself. */
    @Override
    INDArray gradIn(int k) {
        return grads[k] != null ? grads[k] : passed;
    }

    @Override
    void allocate(INDArray input) {
        allocate(new INDArray[] {input});
    }
}
