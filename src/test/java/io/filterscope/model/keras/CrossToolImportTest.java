package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.model.dl4j.Dl4jReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Model files written by another tool than ours, checked against outputs that tool computed:
 * {@code src/test/resources/tfjs/} holds a small conv net that TensorFlow.js 4.22 built, initialized, saved
 * (model.json and weights.bin) and ran ({@code src/test/node/tfjs_fixtures.js}), and the same files
 * repackaged unchanged as a Keras 2 HDF5 file ({@code src/test/python/tfjs_to_h5.py}). Nothing here was
 * computed by FilterScope's code, so an error shared by our writer and our reader cannot hide.
 */
class CrossToolImportTest {
    private static JsonNode expected(String name) throws java.io.IOException {
        return new ObjectMapper().readTree(KerasFixtures.testResource("tfjs/" + name + ".expected.json").toFile());
    }

    @Test
    void aTfjsSequentialSavedAsKerasHdf5MatchesTfjsOwnOutputs() throws Exception {
        JsonNode expected = expected("rgb-convnet");
        Path h5 = KerasFixtures.testResource("tfjs/rgb-convnet.h5");
        Network net = KerasFile.read(h5, null).compile(DataType.FLOAT, 1, KerasFixtures.inputChw(expected));
        assertEquals(List.of("conv2d_Conv2D1", "max_pooling2d_MaxPooling2D1", "conv2d_Conv2D2", "conv2d_Conv2D3",
                "leaky_re_lu_LeakyReLU1", "dense_Dense1", "dense_Dense2"), net.layers().stream().map(LayerInfo::name).toList(),
                "TF.js's layer names");
        KerasFixtures.compareWithExpected(expected, "rgb-convnet.h5", net);
        // DL4J's Keras import, kept as a cross-check where it works, agrees.
        Model model = Dl4jKerasImport.load(h5, true);
        assertInstanceOf(MultiLayerNetwork.class, model);
        KerasFixtures.compareWithExpected(expected, "rgb-convnet.h5 (DL4J's import)",
                Dl4jReader.read(model).compile(DataType.FLOAT, 1, KerasFixtures.inputChw(expected)));
    }

    @Test
    void theSameHdf5DroppedIntoTheModelsFolderIsOfferedWithItsInputShape(@TempDir Path models) throws Exception {
        Files.copy(KerasFixtures.testResource("tfjs/rgb-convnet.h5"), models.resolve("tfjs-net.h5"));
        LoadedModel model = new ModelStore(models).load("tfjs-net");
        assertEquals(List.of(3, 14, 14), model.metadata().inputShape());
        KerasFixtures.compareWithExpected(expected("rgb-convnet"), "models/tfjs-net.h5", model.compile(1, 14));
    }

    /** The TF.js files themselves, as a user drops a TF.js layers model in (a folder with model.json). */
    @Test
    void aTfjsLayersModelFolderMatchesTfjsOwnOutputs(@TempDir Path models) throws Exception {
        Path folder = Files.createDirectories(models.resolve("tfjs-net"));
        for (String file : List.of("model.json", "weights.bin")) {
            Files.copy(KerasFixtures.testResource("tfjs/rgb-convnet/" + file), folder.resolve(file));
        }
        ModelStore store = new ModelStore(models);
        KerasFixtures.compareWithExpected(expected("rgb-convnet"), "models/tfjs-net/model.json", store.load("tfjs-net").compile(1, 14));
    }
}
