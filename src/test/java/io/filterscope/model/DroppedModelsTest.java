package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.render.RunParts;
import io.filterscope.engine.render.StepResult;
import io.filterscope.model.keras.KerasFile;
import io.filterscope.model.keras.KerasFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files dropped into the models directory: Keras .h5 files and DL4J zips with or without a metadata
 * file, weights-only VGG16 files, and broken files, which are listed with a one-line error while the
 * others keep working.
 */
class DroppedModelsTest {

    private static ModelStore.Entry entry(ModelStore store, String id) {
        return store.list().stream().filter(e -> e.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no entry " + id + " in " + store.list()));
    }

    @Test
    void kerasFileWithoutMetadataIsListedWithDefaultsAndRendersAFilter(@TempDir Path dir) throws Exception {
        KerasFixtures.copy("mnist-seq.h5", dir, "kaggle-mnist.h5");
        FixtureModels.writeLeNet(dir, "tiny");
        ModelStore store = new ModelStore(dir);
        assertEquals(List.of("kaggle-mnist", "tiny"), store.list().stream().map(ModelStore.Entry::id).toList());
        ModelStore.Entry e = entry(store, "kaggle-mnist");
        assertTrue(e.available() && e.defaults(), e.toString());
        assertFalse(entry(store, "tiny").defaults());
        ModelMetadata meta = e.metadata();
        assertEquals(List.of(1, 28, 28), meta.inputShape());
        assertEquals(InputSpace.UNIT, meta.input());
        assertNull(meta.classes());
        assertEquals("kaggle-mnist.h5", meta.file());
        assertTrue(meta.description().contains("Keras Sequential model") && meta.description().contains("[0, 1]"),
                meta.description());

        LoadedModel model = store.load("kaggle-mnist");
        assertTrue(model.defaults());
        assertEquals(List.of("conv2d_1", "conv2d_2", "max_pooling2d_1", "conv2d_3", "conv2d_4", "max_pooling2d_2",
                "dense_1", "dense_2"), model.layers().stream().map(LayerInfo::name).toList());
        // A short ascent raises a filter's activation, and a class logit through the channels-last flatten.
        RunParts parts = Presets.PLAIN.build(Presets.PLAIN.defaults().with(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"lr\":0.05,\"leakyRelu\":0.1,\"leakySteps\":10}")), model.inputSpace());
        for (Objective objective : List.of(model.objectives().channel("conv2d_2", 0), model.objectives().classLogit(3))) {
            AscentRun run = new AscentRun(model.compile(1, 28), List.of(objective), parts, 28, 30, 1);
            double first = run.step().values()[0];
            StepResult last = null;
            while (!run.finished()) {
                last = run.step();
            }
            assertTrue(last.values()[0] > first + 1e-3, objective + " went from " + first + " to " + last.values()[0]);
        }
    }

    @Test
    void metadataCanNameAKerasFileWithClassNames(@TempDir Path dir) throws Exception {
        KerasFixtures.copy("rgb-functional.h5", dir, "colours.h5");
        Files.writeString(dir.resolve("shapes.json"), "{\"id\":\"shapes\",\"file\":\"colours.h5\",\"inputShape\":[3,16,16],"
                + "\"input\":{\"low\":0,\"high\":1},\"classes\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}");
        ModelStore store = new ModelStore(dir);
        // The file is the metadata's, so it is not listed a second time with defaults.
        assertEquals(List.of("shapes"), store.list().stream().map(ModelStore.Entry::id).toList());
        LoadedModel model = store.load("shapes");
        assertFalse(model.defaults());
        assertEquals(5, model.layers().get(model.layers().size() - 1).channels());
        assertEquals("dense_2", model.layers().get(model.layers().size() - 1).name());
    }

    @Test
    void dl4jZipsWithoutMetadataGetTheirInputShapeFromTheirConfiguration(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "lenet");
        Files.delete(dir.resolve("lenet.json"));
        ModelSerializer.writeModel(io.filterscope.model.keras.Dl4jKerasImport.load(KerasFixtures.resource("rgb-functional.h5"), false),
                dir.resolve("graph.zip").toFile(), false);
        ModelStore store = new ModelStore(dir);
        assertEquals(List.of(1, 28, 28), entry(store, "lenet").metadata().inputShape());
        assertTrue(entry(store, "lenet").defaults());
        // 15 and 16 px both fit its dense layer (a stride-2 "same" convolution rounds up); the even one is taken.
        assertEquals(List.of(3, 16, 16), entry(store, "graph").metadata().inputShape());
        assertEquals("conv2", store.load("lenet").layers().get(1).name());
        // A Keras model that takes any size gets ImageNet's 224 px.
        KerasFixtures.copy("any-size.h5", dir, "fcn.h5");
        assertEquals(List.of(3, 224, 224), entry(store, "fcn").metadata().inputShape());
        assertEquals("conv2d_1", store.load("graph").layers().get(0).name());
    }

    @Test
    void brokenFilesGiveOneLineErrorsNamingThemWhileTheOthersStillWork(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        byte[] h5 = Files.readAllBytes(KerasFixtures.resource("mnist-seq.h5"));
        Files.write(dir.resolve("cut.h5"), Arrays.copyOf(h5, h5.length / 2));
        Files.writeString(dir.resolve("notes.h5"), "these are my notes, not a model\n");
        Files.write(dir.resolve("empty.hdf5"), new byte[0]);
        Files.writeString(dir.resolve("broken.zip"), "PK but not really");
        // A metadata file that names a truncated Keras file is listed as unavailable too.
        Files.write(dir.resolve("half.h5"), Arrays.copyOf(h5, 4000));
        Files.writeString(dir.resolve("named.json"), "{\"id\":\"named\",\"file\":\"half.h5\",\"inputShape\":[1,28,28]}");
        ModelStore store = new ModelStore(dir);
        Map<String, String> expected = Map.of(
                "cut", "truncated",
                "notes", "not an HDF5 file",
                "empty", "empty file",
                "broken", "not a readable zip",
                "named", "truncated");
        for (Map.Entry<String, String> x : expected.entrySet()) {
            ModelStore.Entry e = entry(store, x.getKey());
            assertFalse(e.available(), x.getKey());
            assertTrue(e.error().contains(x.getValue()) && !e.error().contains("\n"), e.error());
            assertTrue(e.error().contains(dir.toString()), "names the file: " + e.error());
            UserError thrown = assertThrows(UserError.class, () -> store.load(x.getKey()));
            assertTrue(thrown.getMessage().contains(x.getValue()) && !thrown.getMessage().contains("\n"), thrown.getMessage());
        }
        assertTrue(entry(store, "cut").error().contains("cut.h5:"), entry(store, "cut").error());
        assertTrue(entry(store, "tiny").available());
        assertEquals("tiny", store.load("tiny").id());
    }

    @Test
    void vgg16WeightsOnlyFileFillsTheGraphWithOrWithoutMetadata(@TempDir Path dir) throws Exception {
        KerasFixtures.writeVgg16Notop(dir.resolve("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"), 2, false);
        Files.writeString(dir.resolve("vgg16.json"), "{\"id\":\"vgg16\",\"file\":\"vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5\","
                + "\"architecture\":\"vgg16-notop\",\"inputShape\":[3,224,224],"
                + "\"input\":{\"low\":0,\"high\":255,\"mean\":[103.939,116.779,123.68],\"channelOrder\":\"BGR\"}}");
        KerasFixtures.writeVgg16Notop(dir.resolve("mystery.h5"), 4, true);
        ModelStore store = new ModelStore(dir);
        assertEquals(List.of("mystery", "vgg16"), store.list().stream().map(ModelStore.Entry::id).toList());
        ModelStore.Entry mystery = entry(store, "mystery");
        assertTrue(mystery.available() && mystery.defaults(), mystery.toString());
        assertEquals("vgg16-notop", mystery.metadata().architecture(), "recognized by its layer names");
        assertEquals(List.of(3, 224, 224), mystery.metadata().inputShape());
        // Its input defaults to what Keras' VGG weights were trained on, and the description says so.
        assertEquals(InputSpace.CAFFE_BGR, mystery.metadata().input());
        assertTrue(mystery.metadata().description().contains("BGR"), mystery.metadata().description());
        for (String id : List.of("vgg16", "mystery")) {
            long started = System.nanoTime();
            LoadedModel model = store.load(id);
            System.out.printf("VGG16 notop weights-only model %s: loaded and compiled in %.0f ms%n", id, (System.nanoTime() - started) / 1e6);
            assertEquals(18, model.layers().size());
            assertEquals("block5_conv3", model.layers().get(16).name());
            assertEquals(List.of(512L, 14L, 14L), model.layers().get(16).outputShape());
        }
    }

    @Test
    void unknownArchitecturesAndUnrecognizedWeightsSayWhatToWrite(@TempDir Path dir) throws Exception {
        KerasFixtures.copy("mnist-seq.weights.h5", dir, "weights.h5");
        KerasFixtures.copy("mnist-seq.weights.h5", dir, "other.h5");
        Files.writeString(dir.resolve("odd.json"), "{\"id\":\"odd\",\"file\":\"other.h5\",\"architecture\":\"resnet-1001\",\"inputShape\":[1,28,28]}");
        ModelStore store = new ModelStore(dir);
        ModelStore.Entry weights = entry(store, "weights");
        assertFalse(weights.available());
        assertTrue(weights.error().contains("weights.h5") && weights.error().contains("\"architecture\"")
                && weights.error().contains("vgg16-notop"), weights.error());
        ModelStore.Entry odd = entry(store, "odd");
        assertFalse(odd.available());
        assertTrue(odd.error().contains("odd.json") && odd.error().contains("unknown architecture"), odd.error());
    }
}
