package io.filterscope.engine.net;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Concatenation along the channels (an Inception block's merge, Keras' Concatenate): maps or flat rows. */
final class ConcatStage extends Stage {
    private INDArray[] ins;
    private INDArray[] parts;
    private INDArray[] grads;
    private long[] starts;

    ConcatStage(String layer) {
        super(layer);
    }

    @Override
    String kind() {
        return "concat";
    }

    @Override
    long[] outputShape(long[] inputShape) {
        throw new IllegalStateException("a concatenation's shape depends on all its inputs");
    }

    @Override
    long[] outputShape(long[][] inputShapes) {
        long[] shape = inputShapes[0].clone();
        for (int k = 1; k < inputShapes.length; k++) {
            shape[1] += inputShapes[k][1];
        }
        return shape;
    }

    @Override
    void allocate(INDArray[] inputs) {
        long[] shape = inputs[0].shape().clone();
        starts = new long[inputs.length + 1];
        for (int k = 0; k < inputs.length; k++) {
            long[] s = inputs[k].shape();
            for (int d = 0; d < s.length; d++) {
                if (d != 1 && (s.length != shape.length || s[d] != shape[d])) {
                    throw new IllegalArgumentException("layer " + layer + " concatenates shapes "
                            + Arrays.toString(inputs[0].shape()) + " and " + Arrays.toString(s));
                }
            }
            starts[k + 1] = starts[k] + s[1];
        }
        shape[1] = starts[inputs.length];
        ins = inputs;
        out = Nd4j.create(inputs[0].dataType(), shape);
        parts = new INDArray[inputs.length];
        grads = new INDArray[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            parts[k] = out.get(channels(k, shape.length));
            grads[k] = inputs[k].like();
        }
    }

    private INDArrayIndex[] channels(int k, int rank) {
        INDArrayIndex[] index = new INDArrayIndex[rank];
        Arrays.fill(index, NDArrayIndex.all());
        index[1] = NDArrayIndex.interval(starts[k], starts[k + 1]);
        return index;
    }

    @Override
    void forward() {
        for (int k = 0; k < ins.length; k++) {
            parts[k].assign(ins[k]);
        }
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        for (int k = 0; k < ins.length; k++) {
            grads[k].assign(gradOut.get(channels(k, gradOut.rank())));
        }
    }

    @Override
    INDArray gradIn(int k) {
        return grads[k];
    }
}
