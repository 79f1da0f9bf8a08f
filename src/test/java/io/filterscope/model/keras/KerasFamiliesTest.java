package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.FiniteDifferences;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.engine.net.Network;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Small models with the topology of every Keras applications family (src/test/node/families.js, random
 * weights), in all three file forms (TF.js, and Keras 2 .h5 and Keras 3 .keras written from it by
 * src/test/python/tfjs_to_keras.py), compute what TF.js computes for them at several layers.
 */
class KerasFamiliesTest {
    static final List<String> FAMILIES = List.of("vgg16", "resnet50", "resnet50v2", "inception_v3", "inception_resnet_v2",
            "xception", "mobilenet", "mobilenet_v2", "mobilenet_v3_small", "efficientnetb0", "efficientnetv2_b0", "densenet121",
            "convnext_tiny");

    static Path family(String name) {
        try {
            String set = name.startsWith("kinds_") ? "kinds" : "families";
            return Path.of(KerasFamiliesTest.class.getResource("/keras/" + set + "/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The family's files: its TF.js directory, and the .h5 and .keras beside it where converted. */
    static List<Path> forms(String name) {
        Path dir = family(name);
        List<Path> out = new ArrayList<>(List.of(dir));
        for (String ext : new String[] {".h5", ".keras"}) {
            Path f = dir.resolveSibling(name + ext);
            if (Files.isRegularFile(f)) {
                out.add(f);
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyFamilyMatchesTfjsInEveryForm() {
        return matchTfjs(FAMILIES);
    }

    /** Compares every form of these models with TF.js's activations. */
    static Stream<DynamicTest> matchTfjs(List<String> models) {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : models) {
            for (Path form : forms(name)) {
                tests.add(DynamicTest.dynamicTest(name + " " + form.getFileName(), () -> {
                    ReferenceActivations ref = ReferenceActivations.read(family(name).resolve("expected"));
                    long started = System.nanoTime();
                    ModelGraph graph = KerasFile.read(form, null);
                    double ms = (System.nanoTime() - started) / 1e6;
                    KerasFile.Description d = KerasFile.describe(form);
                    int size = d.inputShape().get(1);
                    Network net = graph.compile(DataType.FLOAT, 1, new long[] {3, size, size});
                    INDArray x = ReferenceActivations.image(family(name).resolve("input.f32"), new long[] {1, size, size, 3}, DataType.FLOAT);
                    Map<String, Double> diffs = ref.assertMatches(net, x, 1e-4, name + " " + form.getFileName());
                    System.out.printf("%s %s: read in %.0f ms, %d layers; relative differences %s%n", name, form.getFileName(), ms,
                            net.layers().size(), diffs);
                }));
            }
        }
        return tests.stream();
    }

    /** Each family's input gradient at a middle and a late layer matches finite differences (double precision). */
    @TestFactory
    Stream<DynamicTest> everyFamilysInputGradientMatchesFiniteDifferences() {
        return FAMILIES.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            List<String> layers = ReferenceActivations.read(family(name).resolve("expected")).layers();
            int size = KerasFile.describe(family(name)).inputShape().get(1);
            Network net = KerasFile.read(forms(name).get(forms(name).size() - 1), null).compile(DataType.DOUBLE, 1, new long[] {3, size, size});
            INDArray x = ReferenceActivations.image(family(name).resolve("input.f32"), new long[] {1, size, size, 3}, DataType.DOUBLE);
            net.input().assign(x);
            String mid = layers.get(1);
            String late = layers.get(layers.size() - 2);
            net.forward(List.of(mid, late));
            Nd4j.getRandom().setSeed(13);
            Map<String, INDArray> weights = new java.util.HashMap<>();
            weights.put(mid, Nd4j.randn(DataType.DOUBLE, net.output(mid).shape()));
            weights.put(late, Nd4j.randn(DataType.DOUBLE, net.output(late).shape()));
            // Whole networks have many kinks (ReLU6 caps, max pools): a difference quotient that straddles one is off
            // by a little, a wrong gradient by far more.
            FiniteDifferences.assertInputGradient(net, x, weights, 3, 1e-4);
        }));
    }

    /** Each family, dropped into a models directory (the .keras form), is listed available and renders a gallery. */
    @TestFactory
    Stream<DynamicTest> everyFamilyIsListedAndRendersAGallery(@TempDir Path dir) {
        return FAMILIES.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Path form = forms(name).get(forms(name).size() - 1);
            Files.copy(form, dir.resolve(form.getFileName()));
            ModelStore store = new ModelStore(dir);
            ModelStore.Entry entry = store.list().stream().filter(e -> e.id().equals(name)).findFirst().orElseThrow();
            assertTrue(entry.available(), name + ": " + entry.error());
            LoadedModel model = store.load(name);
            List<String> layers = ReferenceActivations.read(family(name).resolve("expected")).layers();
            double s = Galleries.renderAndCheck(model, layers.get(1), 4, 16, "family-" + name);
            System.out.printf("%s: gallery of %s, 4 filters x 16 steps, %.1f s; input %s%n", name, layers.get(1), s,
                    entry.metadata().description());
        }));
    }
}
