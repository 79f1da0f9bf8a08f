package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.model.dl4j.Dl4jReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keras files become DL4J networks whose compiled chain reproduces activations computed independently
 * (numpy, by hand, in keras_fixtures.py), in Keras' own layer names.
 */
class KerasImportTest {

    /** Imports a fixture, compiles it, feeds the fixture's input and checks every recorded layer. */
    private static Network compareWithNumpy(String fixture, Model model) throws IOException {
        return KerasFixtures.compareWithExpected(KerasFixtures.expected(fixture), fixture,
                Dl4jReader.read(model).compile(DataType.FLOAT, 1, KerasFixtures.inputChw(KerasFixtures.expected(fixture))));
    }

    @Test
    void sequentialChannelsLastModelMatchesNumpy() throws Exception {
        Path file = KerasFixtures.resource("mnist-seq.h5");
        long started = System.nanoTime();
        Model model = KerasFile.load(file, null, 28);
        System.out.printf("import mnist-seq.h5 (Sequential, %d bytes): %.0f ms%n", Files.size(file), (System.nanoTime() - started) / 1e6);
        assertInstanceOf(MultiLayerNetwork.class, model);
        Network net = compareWithNumpy("mnist-seq", model);
        assertEquals(List.of("conv2d_1", "conv2d_2", "max_pooling2d_1", "conv2d_3", "conv2d_4", "max_pooling2d_2",
                "dense_1", "dense_2"), net.layers().stream().map(LayerInfo::name).toList());
        assertEquals(List.of(6L, 10L, 10L), net.layer("conv2d_4").outputShape());
    }

    @Test
    void functionalChainModelMatchesNumpy() throws Exception {
        Path file = KerasFixtures.resource("rgb-functional.h5");
        long started = System.nanoTime();
        Model model = KerasFile.load(file, null, 16);
        System.out.printf("import rgb-functional.h5 (functional, %d bytes): %.0f ms%n", Files.size(file), (System.nanoTime() - started) / 1e6);
        assertInstanceOf(ComputationGraph.class, model);
        Network net = compareWithNumpy("rgb-functional", model);
        assertEquals(List.of("conv2d_1", "leaky_re_lu_1", "conv2d_2", "conv2d_3", "activation_1", "average_pooling2d_1",
                "dense_1", "dense_2"), net.layers().stream().map(LayerInfo::name).toList());
    }

    /** Batch normalization (moving statistics) after convolutions and after a dense layer, channels last. */
    @Test
    void batchNormalizedModelMatchesNumpy() throws Exception {
        Network net = compareWithNumpy("mnist-bn", KerasFile.load(KerasFixtures.resource("mnist-bn.h5"), null, 28));
        assertTrue(net.layers().stream().anyMatch(l -> l.name().equals("batch_normalization_3")), net.toString());
    }

    /** tf.keras 2.x: text attributes as variable-length strings, an explicit InputLayer, tf.keras' names. */
    @Test
    void tfKerasSequentialModelMatchesNumpy() throws Exception {
        Model model = KerasFile.load(KerasFixtures.resource("tfkeras-seq.h5"), null, 20);
        Network net = compareWithNumpy("tfkeras-seq", model);
        assertEquals(List.of("conv2d", "conv2d_1", "max_pooling2d", "dense"), net.layers().stream().map(LayerInfo::name).toList());
        KerasFile.Description d = KerasFile.describe(KerasFixtures.resource("tfkeras-seq.h5"));
        assertEquals(List.of(1, 20, 20), d.inputShape());
        assertEquals("2.9.0", d.kerasVersion());
    }

    /** Input (None, None, 3), as Keras applications save include_top=False models. */
    @Test
    void anySizeFunctionalModelImportsAndAnySizeSequentialSaysWhy() throws Exception {
        KerasFile.Description d = KerasFile.describe(KerasFixtures.resource("any-size.h5"));
        assertTrue(d.anySize());
        assertEquals(java.util.Arrays.asList(3, null, null), d.inputShape());
        compareWithNumpy("any-size", KerasFile.load(KerasFixtures.resource("any-size.h5"), null, 224));
        IOException e = assertThrows(IOException.class, () -> KerasFile.load(KerasFixtures.resource("any-size-seq.h5"), null, 224));
        assertTrue(e.getMessage().contains("takes any input size") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void describeReadsTheInputShapeWithoutLoading() throws Exception {
        KerasFile.Description seq = KerasFile.describe(KerasFixtures.resource("mnist-seq.h5"));
        assertEquals(KerasFile.Kind.SEQUENTIAL, seq.kind());
        assertEquals(List.of(1, 28, 28), seq.inputShape());
        assertEquals("2.2.4", seq.kerasVersion());
        KerasFile.Description fun = KerasFile.describe(KerasFixtures.resource("rgb-functional.h5"));
        assertEquals(KerasFile.Kind.FUNCTIONAL, fun.kind());
        assertEquals(List.of(3, 16, 16), fun.inputShape());
    }

    @Test
    void importedLayersCarryNoDropout() throws Exception {
        for (String f : List.of("mnist-seq.h5", "rgb-functional.h5")) {
            Model model = KerasFile.load(KerasFixtures.resource(f), null, 0);
            Layer[] layers = model instanceof MultiLayerNetwork m ? m.getLayers() : ((ComputationGraph) model).getLayers();
            for (Layer l : layers) {
                assertNull(l.conf().getLayer().getIDropout(), f + " " + l.conf().getLayer().getLayerName());
            }
        }
        // So even DL4J's own training-mode pass, which would apply dropout, is deterministic.
        MultiLayerNetwork seq = (MultiLayerNetwork) KerasFile.load(KerasFixtures.resource("mnist-seq.h5"), null, 0);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 28, 28, 1);
        assertEquals(seq.output(x, false), seq.output(x, true));
    }

    /** The channels-last flatten and every imported stage back-propagate correctly (double precision). */
    @Test
    void inputGradientOfImportedModelsMatchesFiniteDifferences() throws Exception {
        for (String[] c : new String[][] {{"mnist-seq.h5", "conv2d_3", "dense_2"}, {"rgb-functional.h5", "conv2d_2", "dense_2"}}) {
            Model model = KerasFile.load(KerasFixtures.resource(c[0]), null, 0);
            KerasFile.Description d = KerasFile.describe(KerasFixtures.resource(c[0]));
            long[] chw = {d.inputShape().get(0), d.inputShape().get(1), d.inputShape().get(2)};
            Network net = Dl4jReader.read(model).compile(DataType.DOUBLE, 2, chw);
            Nd4j.getRandom().setSeed(7);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 2, chw[0], chw[1], chw[2]);
            Set<String> layers = Set.of(c[1], c[2]);
            net.input().assign(x);
            net.forward(layers);
            FiniteDifferences.assertInputGradient(net, x, Map.of(c[1], Nd4j.randn(DataType.DOUBLE, net.output(c[1]).shape()),
                    c[2], Nd4j.randn(DataType.DOUBLE, net.output(c[2]).shape())), 6, 1e-5);
        }
    }

    @Test
    void vgg16NotopWeightsFillTheGraphInBothKerasLayouts(@TempDir Path dir) throws Exception {
        for (boolean keras2 : new boolean[] {false, true}) {
            Path file = dir.resolve("vgg16-" + keras2 + ".h5");
            long started = System.nanoTime();
            Map<String, KerasFixtures.Weights> written = KerasFixtures.writeVgg16Notop(file, 3, keras2);
            double writeMs = (System.nanoTime() - started) / 1e6;
            KerasFile.Description d = KerasFile.describe(file);
            assertEquals(KerasFile.Kind.WEIGHTS, d.kind());
            assertEquals(KnownArchitecture.VGG16_NOTOP, d.architecture(), "recognized by its layer names");
            assertEquals(List.of(3, 224, 224), d.inputShape());
            started = System.nanoTime();
            MultiLayerNetwork net = (MultiLayerNetwork) KerasFile.load(file, keras2 ? "vgg16-notop" : null, 224);
            System.out.printf("VGG16 notop weights (%s layout, %d MB): written in %.0f ms, loaded in %.0f ms%n",
                    keras2 ? "Keras 2" : "Keras 1", Files.size(file) >> 20, writeMs, (System.nanoTime() - started) / 1e6);
            Iterator<Map.Entry<String, KerasFixtures.Weights>> it = written.entrySet().iterator();
            for (Layer layer : net.getLayers()) {
                if (layer.numParams() == 0) {
                    continue;
                }
                Map.Entry<String, KerasFixtures.Weights> e = it.next();
                assertEquals(e.getKey(), layer.conf().getLayer().getLayerName());
                INDArray hwio = Nd4j.create(e.getValue().kernel(), e.getValue().kernelShape(), 'c');
                assertEquals(hwio.permute(3, 2, 0, 1), layer.getParam("W"), e.getKey() + " kernel");
                assertEquals(Nd4j.create(e.getValue().bias(), new long[] {e.getValue().bias().length}, 'c'),
                        layer.getParam("b").reshape(e.getValue().bias().length), e.getKey() + " bias");
            }
            assertTrue(!it.hasNext());
            if (!keras2) {
                assertFirstConvolutionIsComputedFromTheFile(net, written.get("block1_conv1"));
            }
        }
    }

    @Test
    void vgg19NotopWeightsAreRecognizedAndFillTheirGraph(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5");
        Map<String, KerasFixtures.Weights> written = KerasFixtures.writeVgg19Notop(file, 9);
        assertEquals(KnownArchitecture.VGG19_NOTOP, KerasFile.describe(file).architecture());
        long started = System.nanoTime();
        MultiLayerNetwork net = (MultiLayerNetwork) KerasFile.load(file, null, 224);
        System.out.printf("VGG19 notop weights (%d MB): loaded in %.0f ms%n", Files.size(file) >> 20, (System.nanoTime() - started) / 1e6);
        KerasFixtures.Weights last = written.get("block5_conv4");
        Layer conv = net.getLayers()[net.getnLayers() - 2];
        assertEquals("block5_conv4", conv.conf().getLayer().getLayerName());
        assertEquals(Nd4j.create(last.kernel(), last.kernelShape(), 'c').permute(3, 2, 0, 1), conv.getParam("W"));
        // A VGG16 file is not VGG19: forcing the architecture names the first layer the file lacks.
        Path vgg16 = dir.resolve("vgg16.h5");
        KerasFixtures.writeVgg16Notop(vgg16, 1, false);
        IOException e = assertThrows(IOException.class, () -> KerasFile.load(vgg16, "vgg19-notop", 224));
        assertTrue(e.getMessage().contains("block3_conv4"), e.getMessage());
    }

    /** block1_conv1 of a 12 px image: "same" 3x3 convolution plus bias and ReLU, by loops over the file's kernel. */
    private static void assertFirstConvolutionIsComputedFromTheFile(MultiLayerNetwork model, KerasFixtures.Weights w) {
        int side = 12;
        Network net = Dl4jReader.read(model).compile(DataType.FLOAT, 1, new long[] {3, side, side});
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, side, side).muli(255);
        net.input().assign(x);
        net.forward(List.of("block1_conv1"));
        INDArray ours = net.output("block1_conv1");
        int out = (int) w.kernelShape()[3];
        double worst = 0;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    double sum = w.bias()[o];
                    for (int di = 0; di < 3; di++) {
                        for (int dj = 0; dj < 3; dj++) {
                            int y = i + di - 1;
                            int z = j + dj - 1;
                            if (y < 0 || z < 0 || y >= side || z >= side) {
                                continue;
                            }
                            for (int c = 0; c < 3; c++) {
                                sum += x.getDouble(0, c, y, z) * w.kernel()[((di * 3 + dj) * 3 + c) * out + o];
                            }
                        }
                    }
                    worst = Math.max(worst, Math.abs(Math.max(sum, 0) - ours.getDouble(0, o, i, j)));
                }
            }
        }
        assertTrue(worst < 1e-3, "block1_conv1 differs from the direct computation by " + worst);
    }

    @Test
    void weightsOnlyFileOfAnUnknownNetworkSaysWhatIsMissing() throws Exception {
        Path file = KerasFixtures.resource("mnist-seq.weights.h5");
        KerasFile.Description d = KerasFile.describe(file);
        assertEquals(KerasFile.Kind.WEIGHTS, d.kind());
        assertNull(d.architecture());
        IOException unknown = assertThrows(IOException.class, () -> KerasFile.load(file, null, 28));
        assertTrue(unknown.getMessage().contains("\"architecture\"") && unknown.getMessage().contains("vgg16-notop"),
                unknown.getMessage());
        IOException wrong = assertThrows(IOException.class, () -> KerasFile.load(file, "vgg16-notop", 28));
        assertTrue(wrong.getMessage().contains("block1_conv1"), wrong.getMessage());
        IOException bogus = assertThrows(IOException.class, () -> KerasFile.load(file, "resnet-1001", 28));
        assertTrue(bogus.getMessage().contains("unknown architecture"), bogus.getMessage());
    }
}
