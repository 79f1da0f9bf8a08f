package io.filterscope.engine.net;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Picks channels (axis 1) of maps or rows by index: a contiguous range (an ONNX Slice or Split of the channels,
 * ShuffleNet's halves) as a view copy, or any list of distinct channels (a channel shuffle's permutation) by
 * gathering. The input gradient puts each output channel's gradient back where it came from; channels not
 * picked get zero.
 */
final class ChannelGatherStage extends Stage {
    private final long[] index;
    private final boolean range;
    private INDArray indexArray;
    private INDArray inverseArray;
    private DynamicCustomOp forwardOp;

    ChannelGatherStage(String layer, long[] index) {
        super(layer);
        if (index.length == 0) {
            throw new IllegalArgumentException("layer " + layer + " picks no channels");
        }
        long[] sorted = index.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) {
                throw new IllegalArgumentException("layer " + layer + " picks channel " + sorted[i] + " twice");
            }
        }
        this.index = index.clone();
        boolean contiguous = true;
        for (int i = 1; i < index.length; i++) {
            contiguous &= index[i] == index[i - 1] + 1;
        }
        this.range = contiguous;
    }

    @Override
    String kind() {
        return range ? "channels " + index[0] + ".." + (index[index.length - 1] + 1) : "channel gather";
    }

    @Override
    long[] outputShape(long[] s) {
        for (long i : index) {
            if (i < 0 || i >= s[1]) {
                throw new IllegalStateException("layer " + layer + " picks channel " + i + " of " + s[1]);
            }
        }
        long[] out = s.clone();
        out[1] = index.length;
        return out;
    }

    private INDArrayIndex[] slice(int rank) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        Arrays.fill(idx, NDArrayIndex.all());
        idx[1] = NDArrayIndex.interval(index[0], index[0] + index.length);
        return idx;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        if (!range) {
            indexArray = Nd4j.createFromArray(Arrays.stream(index).mapToInt(i -> (int) i).toArray());
            forwardOp = DynamicCustomOp.builder("gather").addInputs(in, indexArray).addOutputs(out)
                    .addIntegerArguments(1).build();
            if (index.length == input.size(1)) {
                int[] inverse = new int[index.length];
                for (int j = 0; j < index.length; j++) {
                    inverse[(int) index[j]] = j;
                }
                inverseArray = Nd4j.createFromArray(inverse);
            }
        }
    }

    @Override
    void forward() {
        if (range) {
            out.assign(in.get(slice(in.rank())));
        } else {
            Nd4j.exec(forwardOp);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        if (range) {
            gradIn.assign(0);
            gradIn.get(slice(gradIn.rank())).assign(gradOut);
        } else if (inverseArray != null) {
            // A permutation of all channels: its gradient is the inverse permutation's gather.
            exec("gather", new INDArray[] {gradOut, inverseArray}, new INDArray[] {gradIn}, new int[] {1});
        } else {
            gradIn.assign(0);
            INDArrayIndex[] from = new INDArrayIndex[gradOut.rank()];
            INDArrayIndex[] to = new INDArrayIndex[gradOut.rank()];
            Arrays.fill(from, NDArrayIndex.all());
            Arrays.fill(to, NDArrayIndex.all());
            for (int j = 0; j < index.length; j++) {
                from[1] = NDArrayIndex.point(j);
                to[1] = NDArrayIndex.point(index[j]);
                gradIn.get(to).assign(gradOut.get(from));
            }
        }
    }
}
