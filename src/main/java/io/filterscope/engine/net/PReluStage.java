package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;

/** Parametric ReLU: {@code x} where positive, else {@code alpha * x}, with a learned alpha per channel or position. */
final class PReluStage extends Stage {
    private final INDArray alpha;
    private INDArray alphaFull;
    private INDArray d;
    private INDArray tmp;

    /** @param alpha per image, broadcastable to the input's [c, h, w] (or [units]), e.g. [c, 1, 1] */
    PReluStage(String layer, INDArray alpha) {
        super(layer);
        this.alpha = alpha;
    }

    @Override
    long parameters() {
        return alpha.length();
    }

    @Override
    String kind() {
        return "prelu";
    }

    @Override
    long[] outputShape(long[] s) {
        return s;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        long[] one = input.shape().clone();
        one[0] = 1;
        long[] a = new long[input.rank()];
        a[0] = 1;
        long[] given = alpha.shape();
        if (given.length != a.length - 1) {
            throw new IllegalStateException("layer " + layer + ": alpha of shape " + java.util.Arrays.toString(given)
                    + " for inputs of rank " + input.rank());
        }
        System.arraycopy(given, 0, a, 1, given.length);
        alphaFull = alpha.reshape(a).broadcast(input.shape()).dup('c');
        d = out.like();
        tmp = out.like();
    }

    @Override
    void forward() {
        Nd4j.exec(new ScalarMin(in, null, tmp, 0));
        tmp.muli(alphaFull);
        Nd4j.exec(new ScalarMax(in, null, out, 0));
        out.addi(tmp);
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        // [x > 0] + [x <= 0] * alpha
        Nd4j.exec(new Step(in, d, 0));
        d.rsub(1.0, tmp).muli(alphaFull);
        d.addi(tmp);
        gradOut.mul(d, gradIn);
    }
}
