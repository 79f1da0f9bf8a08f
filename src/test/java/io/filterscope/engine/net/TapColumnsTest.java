package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.dl4j.Dl4jReader;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A one-channel input's gradient as tap columns ({@link TapColumns}) is the transposed convolution's, to float rounding,
 * and each image's values are those it gets alone, bit for bit.
 */
class TapColumnsTest {

    private static float[] values(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    private static INDArray channelsLast(long... shape) {
        return ChannelsLast.create(DataType.FLOAT, shape).assign(Nd4j.randn(DataType.FLOAT, shape));
    }

    /** The input gradient in double by libnd4j's conv2d_bp, the reference. */
    private static INDArray reference(INDArray gradOut, INDArray w, long[] inputShape, int[] pad) {
        INDArray in = Nd4j.create(DataType.DOUBLE, inputShape);
        INDArray wd = w.castTo(DataType.DOUBLE);
        INDArray g = gradOut.castTo(DataType.DOUBLE).dup('c');
        INDArray gradIn = in.like();
        Stage.exec("conv2d_bp", new INDArray[] {in, wd, Nd4j.zeros(DataType.DOUBLE, w.size(0)), g},
                new INDArray[] {gradIn, wd.like(), Nd4j.create(DataType.DOUBLE, w.size(0))},
                new int[] {(int) w.size(2), (int) w.size(3), 1, 1, pad[0], pad[1], 1, 1, 0, 0, 1});
        return gradIn;
    }

    private static INDArray gradient(INDArray gradOut, INDArray w, long[] inputShape, int[] pad) {
        INDArray sourceGrad = Nd4j.create(DataType.FLOAT, inputShape);
        TapColumns columns = TapColumns.of(w, gradOut, sourceGrad, pad);
        assertNotNull(columns);
        assertTrue(columns.run(gradOut, sourceGrad));
        return sourceGrad;
    }

    @Test
    void gradientIsTheTransposedConvolutions() {
        Nd4j.getRandom().setSeed(21);
        // {images, out channels, kernel rows, kernel columns, pad rows, pad columns, input rows, input columns}
        for (int[] c : new int[][] {{3, 32, 3, 3, 0, 0, 28, 28}, {2, 5, 2, 2, 1, 1, 9, 7}, {1, 8, 3, 3, 1, 1, 6, 11}}) {
            long[] inputShape = {c[0], 1, c[6], c[7]};
            int[] pad = {c[4], c[5]};
            INDArray w = Nd4j.randn(DataType.FLOAT, c[1], 1, c[2], c[3]);
            INDArray gradOut = channelsLast(c[0], c[1], c[6] + 2 * c[4] - c[2] + 1, c[7] + 2 * c[5] - c[3] + 1);
            INDArray ours = gradient(gradOut, w, inputShape, pad);
            INDArray expected = reference(gradOut, w, inputShape, pad);
            double error = ours.castTo(DataType.DOUBLE).sub(expected).amaxNumber().doubleValue();
            assertEquals(0, error / expected.amaxNumber().doubleValue(), 1e-6, "relative error, case " + java.util.Arrays.toString(c));
            assertTrue(expected.amaxNumber().doubleValue() > 0);
        }
    }

    @Test
    void eachImageGetsWhatItGetsAlone() {
        Nd4j.getRandom().setSeed(22);
        INDArray w = Nd4j.randn(DataType.FLOAT, 32, 1, 3, 3);
        INDArray batch = channelsLast(30, 32, 26, 26);
        INDArray together = gradient(batch, w, new long[] {30, 1, 28, 28}, new int[] {0, 0});
        for (int n : new int[] {0, 7, 29}) {
            INDArray alone = ChannelsLast.create(DataType.FLOAT, new long[] {1, 32, 26, 26}).assign(batch.get(
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(n, n + 1)));
            assertArrayEquals(values(gradient(alone, w, new long[] {1, 1, 28, 28}, new int[] {0, 0})),
                    values(together.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(n, n + 1))), "image " + n);
        }
    }

    @Test
    void onlyOneChannelInputsOfFloatsWithFewTaps() {
        INDArray gradOut = channelsLast(1, 4, 8, 8);
        long[] shape = {1, 1, 10, 10};
        assertNull(TapColumns.of(Nd4j.randn(DataType.FLOAT, 4, 2, 3, 3), gradOut, Nd4j.create(DataType.FLOAT, 1, 2, 10, 10),
                new int[] {0, 0}), "two input channels");
        assertNull(TapColumns.of(Nd4j.randn(DataType.FLOAT, 4, 1, 5, 5), channelsLast(1, 4, 6, 6), Nd4j.create(DataType.FLOAT, shape),
                new int[] {0, 0}), "25 taps");
        assertNull(TapColumns.of(Nd4j.randn(DataType.FLOAT, 4, 1, 3, 3), gradOut.dup('c'), Nd4j.create(DataType.FLOAT, shape),
                new int[] {0, 0}), "a plain output gradient");
    }

    /** conv(3x3, 8) relu - conv(3x3, 6) relu - maxpool - dense(3), on 1 x 12 x 12: fashion-cnn's first layers in small. */
    private static MultiLayerNetwork grey(DataType dtype) {
        var conf = new NeuralNetConfiguration.Builder().seed(23).dataType(dtype).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("c1").nOut(8).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("c2").nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("p1").kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().name("out").nOut(3).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(12, 12, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void aFloatNetworksGreyFirstLayerTakesTheColumnsAndAgreesWithDoubles() {
        Network single = Dl4jReader.read(grey(DataType.FLOAT)).compile(DataType.FLOAT, 2, new long[] {1, 12, 12});
        Network twice = Dl4jReader.read(grey(DataType.DOUBLE)).compile(DataType.DOUBLE, 2, new long[] {1, 12, 12});
        assertTrue(single.toString().contains("c1: conv2d 3x3 + relu (input gradient as tap columns)"), single.toString());
        Nd4j.getRandom().setSeed(24);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 1, 12, 12);
        INDArray weights = Nd4j.randn(DataType.DOUBLE, 2, 6, 8, 8);
        INDArray[] gradients = new INDArray[2];
        Network[] nets = {single, twice};
        for (int i = 0; i < 2; i++) {
            Network net = nets[i];
            net.input().assign(x.castTo(net.input().dataType()));
            net.forward(Set.of("c2"));
            net.clearGradients(Set.of("c2"));
            net.gradient("c2").assign(weights.castTo(net.input().dataType()));
            gradients[i] = net.backward(Set.of("c2"), 0).castTo(DataType.DOUBLE);
        }
        double scale = gradients[1].amaxNumber().doubleValue();
        assertTrue(scale > 0);
        assertEquals(0, gradients[0].sub(gradients[1]).amaxNumber().doubleValue() / scale, 1e-5);
    }
}
