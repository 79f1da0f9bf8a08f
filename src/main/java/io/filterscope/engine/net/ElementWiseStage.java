package io.filterscope.engine.net;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise join of same-shaped inputs: the residual addition of a ResNet, or a difference, product or
 * average. An addition passes its output gradient on to every input unchanged, without a copy.
 */
final class ElementWiseStage extends Stage {
    private final Ops.Join op;
    private INDArray[] ins;
    private INDArray[] grads;
    private INDArray passed;

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
    void allocate(INDArray[] inputs) {
        if (op == Ops.Join.SUBTRACT && inputs.length != 2) {
            throw new IllegalStateException("layer " + layer + ": subtract takes two inputs, got " + inputs.length);
        }
        for (INDArray x : inputs) {
            if (!Arrays.equals(x.shape(), inputs[0].shape())) {
                throw new IllegalArgumentException("layer " + layer + " joins shapes " + Arrays.toString(inputs[0].shape())
                        + " and " + Arrays.toString(x.shape()));
            }
        }
        super.allocate(inputs[0]);
        ins = inputs;
        grads = new INDArray[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            // Only a subtraction's second input and a product's inputs need gradients of their own.
            boolean own = op == Ops.Join.PRODUCT || (op == Ops.Join.SUBTRACT && k == 1);
            grads[k] = own ? out.like() : null;
        }
    }

    @Override
    void forward() {
        out.assign(ins[0]);
        for (int k = 1; k < ins.length; k++) {
            switch (op) {
                case ADD, AVERAGE -> out.addi(ins[k]);
                case SUBTRACT -> out.subi(ins[k]);
                case PRODUCT -> out.muli(ins[k]);
            }
        }
        if (op == Ops.Join.AVERAGE) {
            out.divi(ins.length);
        }
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        switch (op) {
            case ADD -> passed = gradOut;
            case SUBTRACT -> {
                passed = gradOut;
                grads[1].assign(gradOut).negi();
            }
            case AVERAGE -> {
                gradIn.assign(gradOut).divi(ins.length);
                passed = gradIn;
            }
            case PRODUCT -> {
                for (int k = 0; k < ins.length; k++) {
                    grads[k].assign(gradOut);
                    for (int j = 0; j < ins.length; j++) {
                        if (j != k) {
                            grads[k].muli(ins[j]);
                        }
                    }
                }
            }
        }
    }

    @Override
    INDArray gradIn(int k) {
        return grads[k] != null ? grads[k] : passed;
    }
}
