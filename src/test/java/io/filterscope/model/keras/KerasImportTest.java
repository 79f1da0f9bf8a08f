package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.model.dl4j.Dl4jReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keras HDF5 files read by FilterScope's own reader reproduce activations computed independently (numpy, by
 * hand, in keras_fixtures.py), in Keras' own layer names; DL4J's import of the same files agrees where it works.
 */
class KerasImportTest {

    /** Compiles a graph, feeds the fixture's input and checks every recorded layer. */
    private static Network compareWithNumpy(String fixture, ModelGraph graph) throws IOException {
        JsonNode expected = KerasFixtures.expected(fixture);
        return KerasFixtures.compareWithExpected(expected, fixture, graph.compile(DataType.FLOAT, 1, KerasFixtures.inputChw(expected)));
    }

    private static ModelGraph read(String fixture) throws IOException {
        Path file = KerasFixtures.resource(fixture);
        long started = System.nanoTime();
        ModelGraph g = KerasFile.read(file, null);
        System.out.printf("read %s (%d bytes): %.0f ms%n", fixture, Files.size(file), (System.nanoTime() - started) / 1e6);
        return g;
    }

    private static List<String> names(Network net) {
        return net.layers().stream().map(LayerInfo::name).toList();
    }

    @Test
    void sequentialChannelsLastModelMatchesNumpy() throws Exception {
        Network net = compareWithNumpy("mnist-seq", read("mnist-seq.h5"));
        assertEquals(List.of("conv2d_1", "conv2d_2", "max_pooling2d_1", "conv2d_3", "conv2d_4", "max_pooling2d_2",
                "dense_1", "dense_2"), names(net));
        assertEquals(List.of(6L, 10L, 10L), net.layer("conv2d_4").outputShape());
    }

    @Test
    void functionalChainModelMatchesNumpy() throws Exception {
        Network net = compareWithNumpy("rgb-functional", read("rgb-functional.h5"));
        assertEquals(List.of("conv2d_1", "leaky_re_lu_1", "conv2d_2", "conv2d_3", "activation_1", "average_pooling2d_1",
                "dense_1", "dense_2"), names(net));
    }

    /** Batch normalization (moving statistics) after convolutions and after a dense layer, channels last. */
    @Test
    void batchNormalizedModelMatchesNumpy() throws Exception {
        Network net = compareWithNumpy("mnist-bn", read("mnist-bn.h5"));
        assertTrue(names(net).contains("batch_normalization_3"), net.toString());
    }

    /** tf.keras 2.x: text attributes as variable-length strings, an explicit InputLayer, tf.keras' names. */
    @Test
    void tfKerasSequentialModelMatchesNumpy() throws Exception {
        Network net = compareWithNumpy("tfkeras-seq", read("tfkeras-seq.h5"));
        assertEquals(List.of("conv2d", "conv2d_1", "max_pooling2d", "dense"), names(net));
        KerasFile.Description d = KerasFile.describe(KerasFixtures.resource("tfkeras-seq.h5"));
        assertEquals(List.of(1, 20, 20), d.inputShape());
        assertEquals("2.9.0", d.kerasVersion());
    }

    /** Input (None, None, 3), as Keras applications save include_top=False models: functional and Sequential. */
    @Test
    void anySizeModelsReadInBothForms() throws Exception {
        KerasFile.Description d = KerasFile.describe(KerasFixtures.resource("any-size.h5"));
        assertTrue(d.anySize());
        assertEquals(java.util.Arrays.asList(3, null, null), d.inputShape());
        compareWithNumpy("any-size", read("any-size.h5"));
        // DL4J's import refuses a Sequential model of any size; ours reads it as any other.
        assertTrue(KerasFile.describe(KerasFixtures.resource("any-size-seq.h5")).anySize());
        assertFalse(read("any-size-seq.h5").layerNames().isEmpty());
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

    /** Dropout is the identity at inference: no op, no layer, so no pass in any mode can drop activations. */
    @Test
    void dropoutLayersAddNoOps() throws Exception {
        for (String f : List.of("mnist-seq.h5", "rgb-functional.h5")) {
            ModelGraph g = read(f);
            assertTrue(g.layerNames().stream().noneMatch(n -> n.contains("dropout")), f + ": " + g.layerNames());
        }
    }

    /** DL4J's import, where it works, computes the same activations as FilterScope's reader. */
    @Test
    void dl4jImportAgreesWhereItWorks() throws Exception {
        for (String f : List.of("mnist-seq", "rgb-functional", "mnist-bn", "tfkeras-seq")) {
            KerasFile.Description d = KerasFile.describe(KerasFixtures.resource(f + ".h5"));
            long[] chw = {d.inputShape().get(0), d.inputShape().get(1), d.inputShape().get(2)};
            Network ours = read(f + ".h5").compile(DataType.FLOAT, 2, chw);
            Network theirs = Dl4jReader.read(Dl4jKerasImport.load(KerasFixtures.resource(f + ".h5"), d.kind() == KerasFile.Kind.SEQUENTIAL))
                    .compile(DataType.FLOAT, 2, chw);
            Nd4j.getRandom().setSeed(5);
            INDArray x = Nd4j.rand(DataType.FLOAT, 2, chw[0], chw[1], chw[2]);
            String last = ours.layers().get(ours.layers().size() - 1).name();
            ours.input().assign(x);
            theirs.input().assign(x);
            ours.forward(List.of(last));
            theirs.forward(List.of(last));
            double diff = ours.output(last).sub(theirs.output(last)).amaxNumber().doubleValue();
            assertTrue(diff < 1e-4, f + " " + last + ": ours and DL4J's import differ by " + diff);
        }
    }

    /** The channels-last flatten and every stage back-propagate correctly (double precision). */
    @Test
    void inputGradientOfReadModelsMatchesFiniteDifferences() throws Exception {
        for (String[] c : new String[][] {{"mnist-seq.h5", "conv2d_3", "dense_2"}, {"rgb-functional.h5", "conv2d_2", "dense_2"},
            {"mnist-bn.h5", "batch_normalization_2", "dense_2"}}) {
            KerasFile.Description d = KerasFile.describe(KerasFixtures.resource(c[0]));
            long[] chw = {d.inputShape().get(0), d.inputShape().get(1), d.inputShape().get(2)};
            Network net = read(c[0]).compile(DataType.DOUBLE, 2, chw);
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
            ModelGraph graph = KerasFile.read(file, keras2 ? "vgg16-notop" : null);
            System.out.printf("VGG16 notop weights (%s layout, %d MB): written in %.0f ms, read in %.0f ms%n",
                    keras2 ? "Keras 2" : "Keras 1", Files.size(file) >> 20, writeMs, (System.nanoTime() - started) / 1e6);
            List<String> expected = new ArrayList<>();
            String block = "block1";
            for (String conv : written.keySet()) {
                if (!conv.startsWith(block + "_")) {
                    expected.add(block + "_pool");
                    block = conv.substring(0, conv.indexOf('_'));
                }
                expected.add(conv);
            }
            expected.add("block5_pool");
            assertEquals(expected, graph.layerNames());
            assertFirstConvolutionIsComputedFromTheFile(graph, written.get("block1_conv1"));
        }
    }

    @Test
    void vgg19NotopWeightsAreRecognizedAndFillTheirGraph(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5");
        Map<String, KerasFixtures.Weights> written = KerasFixtures.writeVgg19Notop(file, 9);
        assertEquals(KnownArchitecture.VGG19_NOTOP, KerasFile.describe(file).architecture());
        long started = System.nanoTime();
        ModelGraph graph = KerasFile.read(file, null);
        System.out.printf("VGG19 notop weights (%d MB): read in %.0f ms%n", Files.size(file) >> 20, (System.nanoTime() - started) / 1e6);
        assertTrue(graph.layerNames().contains("block5_conv4"));
        assertFirstConvolutionIsComputedFromTheFile(graph, written.get("block1_conv1"));
        // A VGG16 file is not VGG19: forcing the architecture names the first layer the file lacks.
        Path vgg16 = dir.resolve("vgg16.h5");
        KerasFixtures.writeVgg16Notop(vgg16, 1, false);
        IOException e = assertThrows(IOException.class, () -> KerasFile.read(vgg16, "vgg19-notop"));
        assertTrue(e.getMessage().contains("block3_conv4"), e.getMessage());
    }

    /** block1_conv1 of a 12 px image: "same" 3x3 convolution plus bias and ReLU, by loops over the file's kernel. */
    private static void assertFirstConvolutionIsComputedFromTheFile(ModelGraph graph, KerasFixtures.Weights w) {
        int side = 12;
        Network net = graph.compile(DataType.FLOAT, 1, new long[] {3, side, side});
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
        IOException unknown = assertThrows(IOException.class, () -> KerasFile.read(file, null));
        assertTrue(unknown.getMessage().contains("\"architecture\"") && unknown.getMessage().contains("vgg16-notop"),
                unknown.getMessage());
        IOException wrong = assertThrows(IOException.class, () -> KerasFile.read(file, "vgg16-notop"));
        assertTrue(wrong.getMessage().contains("block1_conv1"), wrong.getMessage());
        IOException bogus = assertThrows(IOException.class, () -> KerasFile.read(file, "resnet-1001"));
        assertTrue(bogus.getMessage().contains("unknown architecture"), bogus.getMessage());
    }
}
