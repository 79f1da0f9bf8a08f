package io.filterscope.engine.net;

import java.util.function.BiFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Grouped 2-D convolution (ResNeXt, RegNet): the channels split into {@code groups} equal parts, each
 * convolved by its own slice of the filters. One convolution stage per group on a copy of its channels;
 * the results are the output's consecutive channel blocks. (A depthwise convolution, one channel per group,
 * is {@link DepthwiseConvStage} instead.)
 */
final class GroupedConvStage extends Stage {
    private final Stage[] groups;
    private INDArray[] inputs;
    private INDArray[] outSlices;
    private INDArray[] inSlices;
    private INDArray[] gradInSlices;
    private INDArray[] gradOuts;

    /**
     * @param group makes a group's convolution from its weights, [out / groups, in / groups, kh, kw], and its
     *              bias (or null)
     */
    GroupedConvStage(String layer, INDArray weights, INDArray bias, int count, BiFunction<INDArray, INDArray, Stage> group) {
        super(layer);
        long outPer = weights.size(0) / count;
        groups = new Stage[count];
        for (int g = 0; g < count; g++) {
            var range = NDArrayIndex.interval(g * outPer, (g + 1) * outPer);
            groups[g] = group.apply(weights.get(range).dup('c'), bias == null ? null : bias.get(range).dup());
        }
    }

    @Override
    long parameters() {
        return java.util.Arrays.stream(groups).mapToLong(Stage::parameters).sum();
    }

    @Override
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        long[] s = inputShapes[0];
        long[] in = {s[0], s[1] / groups.length, s[2], s[3]};
        long[] out = {outputShape[0], outputShape[1] / groups.length, outputShape[2], outputShape[3]};
        return groups.length * groups[0].multiplyAdds(new long[][] {in}, out);
    }

    @Override
    String kind() {
        return groups[0].kind() + " x" + groups.length + " groups";
    }

    @Override
    long[] outputShape(long[] s) {
        long[] one = groups[0].outputShape(new long[] {s[0], s[1] / groups.length, s[2], s[3]});
        one[1] *= groups.length;
        return one;
    }

    @Override
    void allocate(INDArray input) {
        if (input.size(1) % groups.length != 0) {
            throw new IllegalStateException("layer " + layer + ": " + input.size(1) + " channels do not split into "
                    + groups.length + " groups");
        }
        super.allocate(input);
        int count = groups.length;
        long inPer = input.size(1) / count;
        long outPer = out.size(1) / count;
        inputs = new INDArray[count];
        outSlices = new INDArray[count];
        inSlices = new INDArray[count];
        gradInSlices = new INDArray[count];
        gradOuts = new INDArray[count];
        for (int g = 0; g < count; g++) {
            inputs[g] = Nd4j.create(input.dataType(), input.size(0), inPer, input.size(2), input.size(3));
            groups[g].allocate(inputs[g]);
            inSlices[g] = in.get(NDArrayIndex.all(), NDArrayIndex.interval(g * inPer, (g + 1) * inPer));
            gradInSlices[g] = gradIn.get(NDArrayIndex.all(), NDArrayIndex.interval(g * inPer, (g + 1) * inPer));
            outSlices[g] = out.get(NDArrayIndex.all(), NDArrayIndex.interval(g * outPer, (g + 1) * outPer));
            gradOuts[g] = groups[g].out.like();
        }
    }

    @Override
    void forward() {
        for (int g = 0; g < groups.length; g++) {
            inputs[g].assign(inSlices[g]);
            groups[g].forward();
            outSlices[g].assign(groups[g].out);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        long outPer = out.size(1) / groups.length;
        for (int g = 0; g < groups.length; g++) {
            gradOuts[g].assign(gradOut.get(NDArrayIndex.all(), NDArrayIndex.interval(g * outPer, (g + 1) * outPer)));
            groups[g].backward(gradOuts[g], leak);
            gradInSlices[g].assign(groups[g].gradIn);
        }
    }
}
