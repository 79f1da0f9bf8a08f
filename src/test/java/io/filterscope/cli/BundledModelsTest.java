package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.PngFiles;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.factory.Nd4j;

/** The models shipped in models/ do what their metadata and the README claim. */
class BundledModelsTest {
    private static final ModelStore MODELS = new ModelStore(Path.of("models"));

    @ParameterizedTest
    @CsvSource({"fashion-cnn, 0.90", "mnist-cnn, 0.97"})
    void classifiesItsHeldOutExampleImages(String id, double required) throws Exception {
        LoadedModel model = MODELS.load(id);
        assertTrue(model.metadata().provenance().heldOutAccuracy() >= required, "metadata claims "
                + model.metadata().provenance().heldOutAccuracy());
        LabeledImages examples = model.examples();
        assertTrue(examples.size() >= 1000);
        Network net = model.compile(examples.size(), 28);
        float[] flat = new float[examples.size() * 784];
        for (int i = 0; i < examples.size(); i++) {
            System.arraycopy(examples.pixels()[i], 0, flat, i * 784, 784);
        }
        net.input().assign(Nd4j.create(flat, new long[] {examples.size(), 1, 28, 28}));
        net.forward(List.of("output"));
        int[] predicted = net.output("output").argMax(1).toIntVector();
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == examples.labels()[i] ? 1 : 0;
        }
        double accuracy = correct / (double) predicted.length;
        assertTrue(accuracy >= required, id + " classifies " + accuracy + " of its example images correctly");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fashion-cnn", "mnist-cnn"})
    void everyClassIdealInputIsClassifiedAsItsOwnClass(String id, @TempDir Path dir) throws Exception {
        String out = CommandLine.run("classes", "--model", id, "--out", dir.resolve("c.png").toString());
        assertTrue(out.contains("10/10 ideal inputs are classified as their own class"), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fashion-cnn", "mnist-cnn"})
    void galleryRendersEveryFilterOfEveryConvolutionalLayer(String id, @TempDir Path dir) throws Exception {
        LoadedModel model = MODELS.load(id);
        List<LayerInfo> convs = model.layers().stream().filter(l -> l.kind().startsWith("conv2d")).toList();
        assertEquals(4, convs.size());
        for (LayerInfo layer : convs) {
            Path png = dir.resolve(layer.name() + ".png");
            String out = CommandLine.run("gallery", "--model", id, "--layer", layer.name(), "--out", png.toString());
            assertTrue(out.contains(layer.channels() + " filters of " + layer.name()), out);
            Map<String, String> text = PngFiles.readText(png);
            assertEquals(layer.channels(), text.get("filterscope:filters").split(",").length);
            assertTrue(text.containsKey("filterscope:dead"));
        }
    }
}
