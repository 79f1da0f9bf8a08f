package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/** Max or average 2-D pooling, NCHW. */
final class PoolStage extends Stage {
    private final boolean max;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final boolean same;
    private DynamicCustomOp forwardOp;

    PoolStage(String layer, boolean max, int[] kernel, int[] stride, int[] padding, boolean same) {
        super(layer);
        this.max = max;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.same = same;
    }

    @Override
    String kind() {
        return (max ? "maxpool " : "avgpool ") + kernel[0] + "x" + kernel[1];
    }

    @Override
    long[] outputShape(long[] s) {
        if (same) {
            return new long[] {s[0], s[1], (s[2] + stride[0] - 1) / stride[0], (s[3] + stride[1] - 1) / stride[1]};
        }
        return new long[] {s[0], s[1], (s[2] + 2L * padding[0] - kernel[0]) / stride[0] + 1,
            (s[3] + 2L * padding[1] - kernel[1]) / stride[1] + 1};
    }

    private int[] args() {
        return new int[] {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1,
            same ? 1 : 0, 0, 0 /* NCHW */};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        forwardOp = DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d").addInputs(in).addOutputs(out)
                .addIntegerArguments(args()).build();
    }

    @Override
    void forward() {
        Nd4j.exec(forwardOp);
    }

    @Override
    void backward(INDArray gradOut, double leak) {
        exec(max ? "maxpool2d_bp" : "avgpool2d_bp", new INDArray[] {in, gradOut}, new INDArray[] {gradIn}, args());
    }
}
