package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.data.LabeledImages;
import io.filterscope.model.Dl4jReference;
import io.filterscope.model.ModelMetadata;
import io.filterscope.train.BundledDataset;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.PngFiles;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata.PictureStatistics;
import io.filterscope.quality.Checker;
import io.filterscope.quality.ClassChecks;
import io.filterscope.model.ModelStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.factory.Nd4j;

/** The models shipped in models/ do what their metadata and the README claim, checked independently of what they print. */
class BundledModelsTest {
    private static final ModelStore MODELS = new ModelStore(Path.of("models"));

    /**
     * The held-out accuracy in the metadata, reproduced on the same images: Fashion-MNIST's 10,000 test images
     * from Debian's dataset-fashion-mnist (which .ci/run installs), and for mnist-cnn its 2,000 held-out
     * digits, which are its example set. Our compiled network may round a borderline image the other way
     * than DL4J did when training measured it: two images either way.
     */
    @ParameterizedTest
    @CsvSource({"fashion-cnn, fashion-mnist", "mnist-cnn, mnist"})
    void classifiesItsHeldOutImagesWithTheAccuracyItsMetadataClaims(String id, String dataset) throws Exception {
        LoadedModel model = MODELS.load(id);
        ModelMetadata.Provenance claim = model.metadata().provenance();
        LabeledImages heldOut;
        if (model.examples().size() == claim.heldOutImages()) {
            heldOut = model.examples();
        } else {
            BundledDataset source = BundledDataset.byName(dataset);
            Path dir = Path.of(source.defaultDataDir);
            assertTrue(Files.isDirectory(dir), "the held-out images of " + id + " are in " + dir
                    + ": apt-get install dataset-fashion-mnist (.ci/run does)");
            heldOut = source.load(dir)[1];
        }
        assertEquals((int) claim.heldOutImages(), heldOut.size(), "the metadata's held-out set");
        int correct = 0;
        for (int from = 0; from < heldOut.size(); from += 1000) {
            int n = Math.min(1000, heldOut.size() - from);
            Network net = model.compile(n, 28);
            float[] flat = new float[n * 784];
            for (int i = 0; i < n; i++) {
                System.arraycopy(heldOut.pixels()[from + i], 0, flat, i * 784, 784);
            }
            net.input().assign(Nd4j.create(flat, new long[] {n, 1, 28, 28}));
            net.forward(List.of("output"));
            int[] predicted = net.output("output").argMax(1).toIntVector();
            for (int i = 0; i < n; i++) {
                correct += predicted[i] == heldOut.labels()[from + i] ? 1 : 0;
            }
        }
        double accuracy = correct / (double) heldOut.size();
        System.out.printf("%s: %d/%d held-out images right (%.4f), metadata claims %.4f%n", id, correct, heldOut.size(),
                accuracy, claim.heldOutAccuracy());
        assertEquals((double) claim.heldOutAccuracy(), accuracy, 2.0 / heldOut.size() + 0.00005, id + " on its " + heldOut.size() + " held-out images");
    }

    /**
     * {@code classes} prints how many of its ideal inputs the model recognises; this does not take its word:
     * it cuts each class's tile out of the PNG and asks DL4J's own inference which class it is. The tiles sit
     * where {@link io.filterscope.image.Grids} draws them: below a legend of two lines, 5 to a row, enlarged
     * 3 times (96 px / 28), 4 px apart, each with a 14 px label.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fashion-cnn", "mnist-cnn"})
    void everyClassIdealInputIsClassifiedAsItsOwnClass(String id, @TempDir Path dir) throws Exception {
        Path png = dir.resolve("c.png");
        String checker = "src/test/resources/checkers/" + id.replace("-cnn", "-checker") + ".json";
        String out = CommandLine.run("classes", "--model", id, "--checker", checker, "--out", png.toString());
        BufferedImage sheet = ImageIO.read(png.toFile());
        int scale = 3;
        int gap = 4;
        int top = gap + 2 * 16 + gap;
        BufferedImage[] tiles = new BufferedImage[10];
        for (int k = 0; k < 10; k++) {
            int x0 = gap + k % 5 * (28 * scale + gap);
            int y0 = top + k / 5 * (28 * scale + 14 + gap);
            tiles[k] = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int rgb = sheet.getRGB(x0 + x * scale + 1, y0 + y * scale + 1);
                    assertEquals(rgb, sheet.getRGB(x0 + x * scale, y0 + y * scale), "tile " + k + " is a 3x enlargement where it should be");
                    tiles[k].setRGB(x, y, rgb);
                }
            }
        }
        MultiLayerNetwork reference = Dl4jReference.load(Path.of("models", id + ".zip")).network();
        int[] predicted = reference.output(Dl4jReference.greyInput(tiles)).argMax(1).toIntVector();
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, predicted, "DL4J's classes of the ideal inputs in the PNG");
        assertTrue(out.contains("10/10 ideal inputs are classified as their own class"), out);
        assertPeopleCanNameThem(id, tiles, checker, out);
    }

    /**
     * Issue 13's three checks, made here on the PNG's tiles rather than taken from {@code classes}' word: for at
     * least 9 of 10 classes an independent classifier (trained with noise, never used for rendering) names the
     * class, and each image is no more jagged than the 99th percentile and no fainter than the 1st percentile of
     * the training pictures. With seed-smooth, the classes' default before data-prior, 1 of 10 was named on
     * either model and 0 (fashion) and 3 (mnist) of 10 had the contrast.
     */
    private static void assertPeopleCanNameThem(String id, BufferedImage[] tiles, String checker, String out) throws Exception {
        List<float[]> pictures = new ArrayList<>();
        for (BufferedImage tile : tiles) {
            pictures.add(io.filterscope.image.ImageInput.toPlanes(tile, 1, 28, 28));
        }
        PictureStatistics statistics = MODELS.load(id).metadata().trainingPictures();
        List<ClassChecks.Result> results = ClassChecks.check(pictures, 1, 28, 28, statistics, Checker.read(Path.of(checker)));
        String why = id + ": " + results + "\n" + out;
        assertTrue(ClassChecks.count(results, 'a') >= 9, "(a) the checker names the class: " + why);
        assertTrue(ClassChecks.count(results, 'b') >= 9, "(b) no more jagged than the training pictures: " + why);
        assertTrue(ClassChecks.count(results, 'c') >= 9, "(c) at least their contrast: " + why);
        assertTrue(out.contains("checks: (a) named by " + Checker.read(Path.of(checker)).id() + " "
                + ClassChecks.count(results, 'a') + "/10"), "classes prints the same checks: " + out);
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
