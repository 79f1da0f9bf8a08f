package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Maps larger than {@link PoolStage#STRIP_PIXELS} are pooled in strips of rows, as the maps of a reshaped view when
 * the strips can be of equal height and every input row is in one, else as separate views: either way the output and
 * the input gradient must be exactly those of one native call over the whole map, in float32 (oneDNN's kernels) and
 * double.
 */
class PoolStripsTest {

    @ParameterizedTest(name = "{0} {1}x{1} stride {2}, {3} rows, {4}")
    @CsvSource({
        "true, 2, 2, 100, FLOAT", // 10,000 pixels: a view of 2 strips of 25 output rows each
        "true, 2, 2, 128, FLOAT", // VGG16's first pool at 128 px: 2 strips of 32 rows
        "false, 2, 2, 224, FLOAT", // and at 224 px: 7 strips of 16 rows
        "true, 2, 2, 166, FLOAT", // 83 output rows, a prime: 83 strips of one row
        "true, 2, 2, 101, FLOAT", // an odd size: the last input row is read by no window, its gradient zero; strips
                                  // of 40 output rows as views, the last one short
        "false, 2, 2, 100, FLOAT",
        "true, 2, 3, 130, FLOAT", // windows with gaps between them, views
        "true, 2, 2, 100, DOUBLE",
    })
    void stripsComputeExactlyWhatOneCallComputes(boolean max, int k, int s, int size, DataType type) {
        int[] kernel = {k, k};
        int[] stride = {s, s};
        assertTrue((long) size * size > PoolStage.STRIP_PIXELS, "the case must be pooled in strips");
        ModelGraph.Builder g = ModelGraph.builder();
        g.name("out", g.add("pool", Ops.pool(max, kernel, stride, Padding.valid(), false, false), ModelGraph.INPUT));
        Network net = g.build().compile(type, 2, new long[] {3, size, size});
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(type, 2, 3, size, size);
        net.input().assign(x);
        net.forward(List.of("out"));
        INDArray out = net.output("out");
        INDArray gradOut = Nd4j.randn(type, out.shape());
        net.clearGradients(List.of("out"));
        net.gradient("out").assign(gradOut);
        INDArray gradIn = net.backward(List.of("out"), 0);

        int[] args = {k, k, s, s, 0, 0, 1, 1, 0, 1, 0};
        INDArray wholeOut = out.like();
        INDArray wholeGrad = x.like();
        Nd4j.exec(DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d").addInputs(x).addOutputs(wholeOut)
                .addIntegerArguments(args).build());
        Nd4j.exec(DynamicCustomOp.builder(max ? "maxpool2d_bp" : "avgpool2d_bp").addInputs(x, gradOut).addOutputs(wholeGrad)
                .addIntegerArguments(args).build());
        assertEquals(wholeOut, out, "forward");
        assertEquals(wholeGrad, gradIn, "input gradient");
    }
}
