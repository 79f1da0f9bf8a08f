package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A strided convolution's input gradient as the transposed convolution (deconv2d) where its output covers the input, and
 * by conv2d_bp where it does not: both the input gradient conv2d_bp gives, up to rounding.
 */
class StridedConvGradientTest {

    @ParameterizedTest
    @CsvSource({
        // size, in, out, kernel, stride, same padding, the transposed convolution used
        "224, 3, 32, 3, 2, true, true", // MobileNetV2's first layer: TensorFlow's uneven 'same', a padded copy
        "17, 4, 6, 3, 2, false, true",
        "18, 4, 6, 3, 2, false, false", // the last row and column in no window
        "20, 5, 3, 5, 3, true, true",
        "21, 5, 3, 5, 4, false, true",
    })
    void inputGradientIsConv2dBp(int size, int in, int outChannels, int k, int s, boolean same, boolean transposed) {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Nd4j.getRandom().setSeed(size);
            INDArray w = Nd4j.randn(type, outChannels, in, k, k);
            INDArray b = Nd4j.randn(type, outChannels);
            ConvStage conv = new ConvStage("c", w, b, new int[] {s, s}, same ? Padding.same() : Padding.valid());
            INDArray x = Nd4j.randn(type, 2, in, size, size);
            conv.allocate(x);
            conv.forward();
            assertEquals(transposed, conv.description().contains("deconv2d"), conv.description());
            INDArray g = Nd4j.randn(type, conv.out.shape());
            conv.backward(g, Leak.NONE);
            INDArray expected = reference(x, w, g, k, s, same, size);
            double scale = expected.amaxNumber().doubleValue();
            double tolerance = (type == DataType.FLOAT ? 1e-5 : 1e-12) * scale;
            assertTrue(scale > 0);
            assertEquals(0, conv.gradIn.sub(expected).amaxNumber().doubleValue(), tolerance, type + " " + conv.kind());
        }
    }

    /** conv2d_bp's input gradient, with the padding TensorFlow's 'same' puts below and right of an even size. */
    private static INDArray reference(INDArray x, INDArray w, INDArray g, int k, int s, boolean same, int size) {
        int total = same ? (int) Math.max(0, (g.size(2) - 1) * s + k - size) : 0;
        int before = total / 2;
        int after = total - before;
        INDArray padded = Nd4j.create(x.dataType(), x.size(0), x.size(1), size + total, size + total);
        padded.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(before, before + size),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(before, before + size)).assign(x);
        INDArray gradPadded = padded.like();
        Stage.exec("conv2d_bp", new INDArray[] {padded, w, Nd4j.zeros(x.dataType(), w.size(0)), g},
                new INDArray[] {gradPadded, w.like(), Nd4j.create(x.dataType(), w.size(0))},
                new int[] {k, k, s, s, 0, 0, 1, 1, 0, 0, 1});
        return gradPadded.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(before, before + size),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(before, before + size)).dup();
    }
}
