package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.transforms.comparison.CompareAndSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Average, sum or max over each whole map: [n, c, h, w] to [n, c] (or [n, c, 1, 1] when the model keeps
 * the dimensions). Max pooling's gradient goes to the position of the maximum, shared equally among ties.
 */
final class GlobalPoolStage extends Stage {
    private final Ops.GlobalPool type;
    private final boolean collapse;
    private INDArray flat;
    private INDArray mask;
    private INDArray ties;

    GlobalPoolStage(String layer, Ops.GlobalPool type, boolean collapse) {
        super(layer);
        this.type = type;
        this.collapse = collapse;
    }

    @Override
    String kind() {
        return "global " + type.name().toLowerCase(java.util.Locale.ROOT) + "pool";
    }

    @Override
    long[] outputShape(long[] s) {
        if (s.length != 4) {
            throw new IllegalStateException("layer " + layer + " pools maps, got rank " + s.length);
        }
        return collapse ? new long[] {s[0], s[1]} : new long[] {s[0], s[1], 1, 1};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        flat = out.reshape(out.size(0), out.size(1));
        if (type == Ops.GlobalPool.MAX) {
            mask = input.like();
            ties = flat.like();
        }
    }

    @Override
    void forward() {
        switch (type) {
            case AVG -> flat.assign(in.mean(2, 3));
            case SUM -> flat.assign(in.sum(2, 3));
            case MAX -> flat.assign(in.max(2, 3));
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        INDArray g = gradOut.reshape(gradOut.size(0), gradOut.size(1));
        if (type == Ops.GlobalPool.MAX) {
            // 1 where a value equals its map's maximum, else 0; ties share the gradient equally, as TensorFlow's
            // reduce_max does (a max pool before a global max copies one value into overlapping windows).
            Nd4j.exec(new BroadcastSubOp(in, flat, mask, 0, 1));
            Nd4j.exec(new CompareAndSet(mask, 1, Conditions.equals(0)));
            Nd4j.exec(new CompareAndSet(mask, 0, Conditions.notEquals(1)));
            Nd4j.exec(new org.nd4j.linalg.api.ops.impl.reduce.same.Sum(mask, ties, 2, 3));
            Nd4j.exec(new BroadcastMulOp(mask, g, gradIn, 0, 1));
            Nd4j.exec(new org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp(gradIn, ties, gradIn, 0, 1));
            return;
        }
        gradIn.assign(0);
        Nd4j.exec(new BroadcastAddOp(gradIn, g, gradIn, 0, 1));
        if (type == Ops.GlobalPool.AVG) {
            gradIn.divi(in.size(2) * in.size(3));
        }
    }
}
