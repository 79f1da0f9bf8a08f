package io.filterscope.model.keras;

import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.Network;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Layer kinds the family fixtures do not use (src/test/node/families.js kinds_*): dilated and multiplied
 * depthwise convolutions, separable with a depth multiplier, PReLU per position and shared, every activation
 * TF.js has, a mid-network Softmax, Cropping2D, UpSampling2D, uneven ZeroPadding2D, Permute, Concatenate along
 * rows and columns, Maximum/Minimum/Average, same-padded max pooling, global max pooling, batch and layer
 * normalization with center and scale off, on maps and rows, and TF.js's own bilinear UpSampling2D (without
 * half-pixel centres; a TF.js form only). Each matches TF.js in every file form (the
 * .keras form of kinds_activations is left out: Keras 3 defines hard_sigmoid as x/6 + 1/2, TF.js 0.2x + 0.5,
 * so that file computes differently, as it would in Keras 3), and by finite differences.
 */
class KerasLayerKindsTest {
    static final List<String> KINDS = List.of("kinds_convolutions", "kinds_activations", "kinds_shapes", "kinds_normalization",
            "kinds_bilinear");

    @TestFactory
    Stream<DynamicTest> everyLayerKindMatchesTfjs() {
        return KerasFamiliesTest.matchTfjs(KINDS).filter(t -> !t.getDisplayName().equals("kinds_activations kinds_activations.keras"));
    }

    /**
     * Kinds TF.js cannot make, in Keras files written by src/test/python/keras_kinds.py with PyTorch references:
     * ReLU with integer max_value, slope and threshold; grouped Conv2D; Subtract; tf.keras' TFOpLambda;
     * hard_swish; per-channel Rescaling; bilinear UpSampling2D; GELU; keepdims; channels_first; a nested model;
     * Keras 3's hard_sigmoid. Forward against PyTorch, and the input gradient by finite differences.
     */
    @TestFactory
    Stream<DynamicTest> kerasOnlyKindsMatchPyTorch() {
        return Stream.of("keras_only.h5", "channels_first.h5", "nested.h5", "keras3_hard_sigmoid.keras").map(f -> DynamicTest.dynamicTest(f, () -> {
            Path file = KerasFamiliesTest.family("kinds_shapes").resolveSibling(f);
            Path expected = file.resolveSibling(f.substring(0, f.indexOf('.')) + ".expected");
            ReferenceActivations ref = ReferenceActivations.read(expected);
            KerasFile.Description d = KerasFile.describe(file);
            long[] chw = {d.inputShape().get(0), d.inputShape().get(1), d.inputShape().get(2)};
            var graph = KerasFile.read(file, null);
            INDArray x = ReferenceActivations.image(expected.resolve("input.f32"), new long[] {1, chw[1], chw[2], chw[0]}, DataType.DOUBLE);
            Network net = graph.compile(DataType.DOUBLE, 1, chw);
            System.out.printf("%s: relative differences from PyTorch %s%n", f, ref.assertMatches(net, x, 1e-6, f));
            Network single = graph.compile(DataType.FLOAT, 1, chw);
            ref.assertMatches(single, x.castTo(DataType.FLOAT), 1e-4, f + " (float32)");
            Map<String, INDArray> weights = new HashMap<>();
            for (String l : ref.layers()) {
                weights.put(l, Nd4j.randn(DataType.DOUBLE, net.output(l).shape()));
            }
            FiniteDifferences.assertInputGradient(net, x, weights, 4, 1e-5);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyLayerKindsInputGradientMatchesFiniteDifferences() {
        return KINDS.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Path dir = KerasFamiliesTest.family(name);
            List<String> layers = ReferenceActivations.read(dir.resolve("expected")).layers();
            int size = KerasFile.describe(dir).inputShape().get(1);
            Network net = KerasFile.read(dir, null).compile(DataType.DOUBLE, 2, new long[] {3, size, size});
            Nd4j.getRandom().setSeed(21);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, size, size).muli(2).subi(1);
            net.input().assign(x);
            net.forward(layers);
            Map<String, INDArray> weights = new HashMap<>();
            for (String l : layers) {
                weights.put(l, Nd4j.randn(DataType.DOUBLE, net.output(l).shape()));
            }
            FiniteDifferences.assertInputGradient(net, x, weights, 4, 1e-5);
        }));
    }
}
