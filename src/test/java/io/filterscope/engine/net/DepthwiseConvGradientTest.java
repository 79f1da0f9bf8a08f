package io.filterscope.engine.net;

import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A depthwise convolution's input gradient (the transposed convolution, over a spread copy of the output gradient at
 * stride 2 and 3) against central differences of &lt;g, conv(x)&gt;, double precision, at every small size the forward
 * pass takes: maps of 1-3 pixels, whose output is one or two pixels, on plain and channels-last inputs.
 */
class DepthwiseConvGradientTest {

    @ParameterizedTest
    @CsvSource({
        // kernel, stride, same padding, multiplier
        "3, 2, true, 1",
        "3, 2, false, 1",
        "3, 3, true, 1",
        "2, 2, true, 1",
        "3, 2, true, 2",
        "5, 3, false, 2",
    })
    void inputGradientMatchesFiniteDifferencesAtSmallSizes(int k, int s, boolean same, int multiplier) {
        int channels = 3;
        for (int size = 1; size <= 9; size++) {
            if (!same && size < k) {
                continue;
            }
            for (boolean channelsLast : new boolean[] {false, true}) {
                Nd4j.getRandom().setSeed(size);
                INDArray w = Nd4j.randn(DataType.DOUBLE, channels * multiplier, 1, k, k);
                DepthwiseConvStage conv = new DepthwiseConvStage("dw", w, channels, Nd4j.randn(DataType.DOUBLE, channels * multiplier),
                        new int[] {s, s}, same ? Padding.same() : Padding.valid(), new int[] {1, 1});
                long[] shape = {2, channels, size, size};
                INDArray x = channelsLast ? ChannelsLast.create(DataType.DOUBLE, shape) : Nd4j.create(DataType.DOUBLE, shape);
                x.assign(Nd4j.randn(DataType.DOUBLE, shape));
                conv.channelsLastAllowed = channelsLast;
                conv.allocate(x);
                INDArray g = Nd4j.randn(DataType.DOUBLE, conv.out.shape());
                conv.backward(g, Leak.NONE);
                INDArray gradient = conv.gradIn.dup();
                Function<INDArray, Double> f = in -> {
                    x.assign(in);
                    conv.forward();
                    return conv.out.mul(g).sumNumber().doubleValue();
                };
                INDArray at = x.dup();
                FiniteDifferences.assertDirectionalDerivatives(f, at, gradient, 3, 1e-9, 1e-2);
            }
        }
    }
}
