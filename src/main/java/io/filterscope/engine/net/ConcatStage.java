package io.filterscope.engine.net;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Concatenation along one axis (an Inception block's merge on the channels, Keras' Concatenate on any axis):
 * maps or flat rows. Each input is copied into its slice; its gradient is a copy of that slice.
 */
final class ConcatStage extends Stage {
    private final int axis;
    private INDArray[] ins;
    private INDArray[] parts;
    private INDArray[] grads;
    private long[] starts;

    /** @param axis of the whole tensor, batch included (1 = channels) */
    ConcatStage(String layer, int axis) {
        super(layer);
        if (axis < 1) {
            throw new IllegalArgumentException("cannot concatenate along axis " + axis + " (the batch)");
        }
        this.axis = axis;
    }

    @Override
    String kind() {
        return axis == 1 ? "concat" : "concat axis " + axis;
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
        if (axis >= shape.length) {
            throw new IllegalStateException("layer " + layer + " concatenates along axis " + axis + " of rank-" + shape.length + " inputs");
        }
        starts = new long[inputs.length + 1];
        for (int k = 0; k < inputs.length; k++) {
            long[] s = inputs[k].shape();
            for (int d = 0; d < s.length; d++) {
                if (d != axis && (s.length != shape.length || s[d] != shape[d])) {
                    throw new IllegalArgumentException("layer " + layer + " concatenates shapes "
                            + Arrays.toString(inputs[0].shape()) + " and " + Arrays.toString(s));
                }
            }
            starts[k + 1] = starts[k] + s[axis];
        }
        shape[axis] = starts[inputs.length];
        ins = inputs;
        in = inputs[0];
        out = Nd4j.create(inputs[0].dataType(), shape);
        parts = new INDArray[inputs.length];
        grads = new INDArray[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            parts[k] = out.get(slice(k, shape.length));
            grads[k] = inputs[k].like();
        }
    }

    private INDArrayIndex[] slice(int k, int rank) {
        INDArrayIndex[] index = new INDArrayIndex[rank];
        Arrays.fill(index, NDArrayIndex.all());
        index[axis] = NDArrayIndex.interval(starts[k], starts[k + 1]);
        return index;
    }

    @Override
    void forward() {
        for (int k = 0; k < ins.length; k++) {
            parts[k].assign(ins[k]);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        for (int k = 0; k < ins.length; k++) {
            grads[k].assign(gradOut.get(slice(k, gradOut.rank())));
        }
    }

    @Override
    INDArray gradIn(int k) {
        return grads[k];
    }
}
