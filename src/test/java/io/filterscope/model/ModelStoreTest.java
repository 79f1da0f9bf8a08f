package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.param.InputSpace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

    @Test
    void loadsAModelWithItsLayersAndExamples(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        LoadedModel model = new ModelStore(dir).load("tiny");
        assertEquals(List.of("conv1", "conv2", "pool1", "conv3", "conv4", "pool2", "output"),
                model.layers().stream().map(LayerInfo::name).toList());
        assertEquals(List.of(32L, 24L, 24L), model.layers().get(1).outputShape());
        assertEquals(12, model.examples().size());
    }

    /** A closing worker's store lets go of its models and kept networks, and reads a model again if asked afterwards. */
    @Test
    void unloadAllForgetsTheModelsAndTheNetworksKeptForReuse(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        ModelStore store = new ModelStore(dir, NetworkCache.unbounded());
        LoadedModel model = store.load("tiny");
        model.release(model.borrow(2, 28));
        assertTrue(store.networks().bytes() > 0, "a network kept for reuse");
        store.unloadAll();
        assertEquals(0, store.networks().bytes());
        assertEquals(null, store.loadedNow("tiny"));
        assertTrue(store.load("tiny") != model, "read again");
    }

    @Test
    void examplesOfAnotherShapeThanTheModelTakesAreRefusedNamingBoth(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        IdxFiles.write(new LabeledImages(new float[2][3 * 28 * 28], new int[2], 28, 28, 3),
                dir.resolve("tiny.ex-images.idx.gz"), dir.resolve("tiny.ex-labels.idx.gz"));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> new ModelStore(dir).load("tiny").examples());
        assertTrue(e.getMessage().contains("holds 3x28x28 images but model tiny takes 1x28x28"), e.getMessage());
    }

    @Test
    void defaultViewIsReadAndCheckedAgainstTheModelsLayers(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        withDefaultView(dir, "{\"layer\":\"conv3\",\"filter\":5,\"preset\":\"seed-smooth\"}");
        assertEquals(new ModelMetadata.DefaultView("conv3", 5, "seed-smooth"), new ModelStore(dir).load("tiny").metadata().defaultView());

        withDefaultView(dir, "{\"layer\":\"conv9\",\"filter\":0}");
        UserError layer = assertThrows(UserError.class, () -> new ModelStore(dir).load("tiny"));
        assertTrue(layer.getMessage().contains("tiny.json: \"defaultView\": unknown layer 'conv9' in model tiny (layers: conv1, conv2"),
                layer.getMessage());
        withDefaultView(dir, "{\"layer\":\"conv3\",\"filter\":64}");
        UserError filter = assertThrows(UserError.class, () -> new ModelStore(dir).load("tiny"));
        assertTrue(filter.getMessage().endsWith("\"defaultView\" filter 64 is out of range: layer conv3 has 64 filters"), filter.getMessage());
        withDefaultView(dir, "{\"layer\":\"conv3\",\"filter\":1,\"preset\":\"pretty\"}");
        ModelStore.Entry entry = new ModelStore(dir).list().get(0);
        assertFalse(entry.available());
        assertTrue(entry.error().endsWith("\"defaultView\" preset 'pretty' is not one of: plain, seed-classic, seed-smooth, natural, data-prior"),
                entry.error());
    }

    private static void withDefaultView(Path dir, String view) throws Exception {
        Path json = dir.resolve("tiny.json");
        String text = Files.readString(json).replaceFirst(",\"defaultView\":\\{[^}]*}", "");
        Files.writeString(json, text.substring(0, text.lastIndexOf('}')) + ",\"defaultView\":" + view + "}");
    }

    /**
     * A newcomer's {@code ñet.onnx}, {@code _x.onnx} and {@code net.zip} (beside a {@code net.json} naming another file)
     * showed nowhere, and {@code net two.onnx} was {@code net_two.onnx}: every model file is listed, under its name
     * without the extension made an id, or unavailable saying why.
     */
    @Test
    void everyModelFileIsListedUnderAnIdFromItsNameOrUnavailableSayingWhy(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "net");
        Path zip = dir.resolve("net.zip");
        Files.copy(zip, dir.resolve("net2.zip"));
        Files.writeString(dir.resolve("net.json"), Files.readString(dir.resolve("net.json")).replace("\"net.zip\"", "\"net2.zip\""));
        for (String name : List.of("net two.zip", "a'b.zip", "résumé.zip", "ñet 🐟.zip", "_x.zip", "ñet.zip")) {
            Files.copy(zip, dir.resolve(name));
        }
        List<ModelStore.Entry> entries = new ModelStore(dir).list();
        assertEquals(List.of("_x.zip", "a_b", "net", "net.zip", "net_", "net_two", "resume", "ñet.zip"),
                entries.stream().map(ModelStore.Entry::id).toList());
        assertEquals(List.of(false, true, true, true, true, true, true, false),
                entries.stream().map(ModelStore.Entry::available).toList());
        assertEquals("_x.zip: a model's id is its file's name without the extension, which must start with a letter or digit"
                + " (A-Z, a-z, 0-9); rename the file", entries.get(0).error());
        assertEquals("ñet.zip: its id 'net.zip' is another model's; rename the file", entries.get(7).error());
        assertEquals("net.zip", new ModelStore(dir).load("net.zip").id());
        assertEquals("resume", new ModelStore(dir).load("resume").id());
    }

    @Test
    void unknownModelIsNotFoundAndNamesTheKnownOnes(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        UserError e = assertThrows(UserError.class, () -> new ModelStore(dir).load("vgg99"));
        assertTrue(e.notFound);
        assertTrue(e.getMessage().contains("vgg99") && e.getMessage().contains("tiny"), e.getMessage());
        assertTrue(assertThrows(UserError.class, () -> new ModelStore(dir).load("../etc/passwd")).notFound);
    }

    @Test
    void brokenMetadataIsListedWithItsErrorAndOthersStillLoad(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Files.writeString(dir.resolve("broken.json"), "{\"id\":\"broken\",\"file\":\"broken.zip\",\"inputShape\":[1,28]}");
        Files.writeString(dir.resolve("garbled.json"), "{not json");
        Files.writeString(dir.resolve("truncated.json"), "{\"id\":\"truncated\",\"file\":\"t.zip\",\"inputShape\":[1,28");
        ModelStore store = new ModelStore(dir);
        List<ModelStore.Entry> entries = store.list();
        assertEquals(List.of("broken", "garbled", "tiny", "truncated"), entries.stream().map(ModelStore.Entry::id).toList());
        assertEquals(dir.resolve("truncated.json") + ": line 1, column 52: Unexpected end-of-input: expected close marker for"
                + " Array (start marker at line 1, column 47)", entries.get(3).error(),
                "where the file ends and the unclosed array starts, not Jackson's source description");
        assertFalse(entries.get(0).available());
        assertTrue(entries.get(0).error().contains("broken.json"), entries.get(0).error());
        assertFalse(entries.get(1).available());
        assertTrue(entries.get(2).available());
        assertEquals("tiny", store.load("tiny").id());
    }

    /**
     * A trailing or missing comma, a missing ']' (which Jackson read as a string in a number array) and a UTF-16 file
     * gave Jackson's words without a position, or a wrong one: each malformed file is one line with its line and column.
     */
    @Test
    void malformedMetadataIsOneLineWithTheLineAndColumnOfTheMistake(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String good = "{\n  \"id\": \"%s\",\n  \"file\": \"tiny.zip\",\n  \"inputShape\": [1, 28, 28],\n"
                + "  \"classes\": [\"a\", \"b\", \"c\"]\n}\n";
        Files.writeString(dir.resolve("trailing.json"), good.formatted("trailing").replace("\"c\"]", "\"c\"],"));
        Files.writeString(dir.resolve("comma.json"), good.formatted("comma").replace("\"tiny.zip\",", "\"tiny.zip\""));
        Files.writeString(dir.resolve("bracket.json"), good.formatted("bracket").replace("28, 28],", "28, 28,"));
        Files.writeString(dir.resolve("twice.json"), good.formatted("twice").replace("\"tiny.zip\",", "\"tiny.zip\", \"file\": \"tiny.zip\","));
        Files.writeString(dir.resolve("utf16.json"), good.formatted("utf16"), java.nio.charset.StandardCharsets.UTF_16);
        byte[] text = good.formatted("bom").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bom = new byte[text.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, bom, 3, text.length);
        Files.write(dir.resolve("bom.json"), bom);
        java.util.Map<String, ModelStore.Entry> entries = new java.util.TreeMap<>();
        new ModelStore(dir).list().forEach(e -> entries.put(e.id(), e));
        assertTrue(entries.get("bom").available(), "a UTF-8 byte-order mark is allowed: " + entries.get("bom").error());
        assertEquals(dir.resolve("trailing.json") + ": line 6, column 1: Unexpected character ('}' (code 125)): was expecting"
                + " double-quote to start field name", entries.get("trailing").error());
        assertEquals(dir.resolve("comma.json") + ": line 4, column 3: Unexpected character ('\"' (code 34)): was expecting"
                + " comma to separate Object entries", entries.get("comma").error());
        assertEquals(dir.resolve("bracket.json") + ": line 5, column 12: Unexpected character (':' (code 58)): was expecting"
                + " comma to separate Array entries", entries.get("bracket").error());
        assertEquals(dir.resolve("twice.json") + ": line 3, column 29: Duplicate field 'file'", entries.get("twice").error(),
                "a field given twice is refused, not read with its last value");
        assertEquals(dir.resolve("utf16.json") + ": line 1, column 1: must be UTF-8 text, not UTF-16 (it starts with a UTF-16"
                + " byte-order mark)", entries.get("utf16").error());
    }

    /**
     * A metadata file whose classes the model does not have is found out only when the model is read: from then on the
     * list says the model cannot be used, and why, and every load says the same (404, as the server's directory answers
     * for a model listed unavailable), until a file changes (a newcomer saw "available" and then 400 on every start).
     */
    @Test
    void aModelThatFailedToReadIsListedUnavailableUntilItsFilesChange(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String fine = Files.readString(dir.resolve("tiny.json"));
        Files.writeString(dir.resolve("tiny.json"), fine.replaceFirst("\\[\\s*\"a\"\\s*,\\s*\"b\"\\s*,\\s*\"c\"\\s*]", "[\"a\",\"b\"]"));
        ModelStore store = new ModelStore(dir);
        assertTrue(store.list().get(0).available(), "nothing read yet");
        UserError e = assertThrows(UserError.class, () -> store.load("tiny"));
        assertTrue(e.notFound, "404, as the directory answers");
        assertTrue(e.getMessage().startsWith("model 'tiny' cannot be used: ") && e.getMessage().contains("2 classes"), e.getMessage());
        ModelStore.Entry listed = store.list().get(0);
        assertFalse(listed.available());
        assertEquals(e.getMessage(), "model 'tiny' cannot be used: " + listed.error(), "the list gives the same reason");
        assertEquals(e.getMessage(), assertThrows(UserError.class, () -> store.load("tiny")).getMessage(), "not read again");

        Files.writeString(dir.resolve("tiny.json"), fine + " "); // mended: another size
        assertTrue(store.list().get(0).available());
        assertEquals("tiny", store.load("tiny").id());
    }

    @Test
    void truncatedModelFileGivesAOneLineErrorNamingIt(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        byte[] zip = Files.readAllBytes(dir.resolve("tiny.zip"));
        Files.write(dir.resolve("tiny.zip"), java.util.Arrays.copyOf(zip, zip.length / 3));
        UserError e = assertThrows(UserError.class, () -> new ModelStore(dir).load("tiny"));
        assertTrue(e.getMessage().contains("tiny.zip") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aDescribedDl4jZipReplacedByATruncatedOneIsListedUnavailableNamingIt(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        ModelStore store = new ModelStore(dir);
        assertTrue(store.list().get(0).available());
        byte[] zip = Files.readAllBytes(dir.resolve("tiny.zip"));
        Files.write(dir.resolve("tiny.zip"), java.util.Arrays.copyOf(zip, zip.length / 3));
        ModelStore.Entry entry = store.list().get(0);
        assertFalse(entry.available(), "listed as the models command and a run find it");
        assertTrue(entry.error().startsWith(dir.resolve("tiny.zip") + ": not a readable zip (") && !entry.error().contains("\n"),
                entry.error());
    }

    @Test
    void aMetadataFieldOfTheWrongTypeOrUnknownIsNamedAsTheFileWritesIt(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String good = Files.readString(dir.resolve("tiny.json"));
        String[][] cases = {
            {"\"inputShape\":[1,28,28]", "\"inputShape\":\"28x28\"", "tiny.json: \"inputShape\" must be an array"},
            {"\"inputShape\":[1,28,28]", "\"inputShape\":[1,\"a\",28]", "tiny.json: \"inputShape[1]\" must be a whole number"},
            {"\"low\":0.0", "\"low\":\"zero\"", "tiny.json: \"input.low\" must be a number"},
            {"\"classes\":[\"a\",\"b\",\"c\"]", "\"classes\":3", "tiny.json: \"classes\" must be an array"},
            {"\"id\":\"tiny\"", "\"id\":\"tiny\",\"sise\":3", "tiny.json: unknown field \"sise\" (fields: "},
            {"\"low\":0.0", "\"low\":0.0,\"scale\":2", "tiny.json: unknown field \"scale\" in \"input\" (fields: "},
        };
        for (String[] c : cases) {
            assertTrue(good.contains(c[0]), good);
            Files.writeString(dir.resolve("tiny.json"), good.replace(c[0], c[1]));
            ModelStore.Entry entry = new ModelStore(dir).list().get(0);
            assertTrue(entry.error().contains(c[2]) && !entry.error().contains("java.") && !entry.error().contains("\n"),
                    c[1] + " -> " + entry.error());
        }
        Files.writeString(dir.resolve("tiny.json"), "[]");
        assertTrue(new ModelStore(dir).list().get(0).error().endsWith("tiny.json: must hold one JSON object"));
    }

    @Test
    void wrongIdInMetadataIsReported(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Files.writeString(dir.resolve("tiny.json"), Files.readString(dir.resolve("tiny.json")).replace("\"id\":\"tiny\"", "\"id\":\"other\""));
        UserError e = assertThrows(UserError.class, () -> new ModelStore(dir).load("tiny"));
        assertTrue(e.getMessage().contains("\"id\" must be \"tiny\""), e.getMessage());
    }

    @Test
    void caffeStylePreprocessingIsReadFromTheMetadata(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        replaceInput(dir, "{\"low\":0,\"high\":255,\"mean\":[33.3]}");
        assertEquals(new InputSpace(0.0, 255.0, List.of(33.3), null, null), new ModelStore(dir).load("tiny").inputSpace());
    }

    @Test
    void badPreprocessingIsReportedInOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String[][] cases = {
            {"{\"low\":0,\"high\":255,\"mean\":[1,2,3]}", "\"mean\" has 3 values but the model has 1 input channels"},
            {"{\"low\":0,\"high\":1,\"channelOrder\":\"BGR\"}", "BGR needs 3 input channels"},
            {"{\"low\":0,\"high\":1,\"channelOrder\":\"GBR\"}", "must be \"RGB\" or \"BGR\""},
            {"{\"low\":0,\"high\":1,\"std\":[0]}", "\"std\" must be a list of positive numbers"},
            {"{\"high\":255}", "needs \"low\" and \"high\""},
            {"{\"low\":5,\"high\":1}", "low < high"},
            {"{\"low\":0,\"high\":1,\"scale\":2}", "scale"},
        };
        for (String[] c : cases) {
            replaceInput(dir, c[0]);
            UserError e = assertThrows(UserError.class, () -> new ModelStore(dir).load("tiny"), c[0]);
            assertTrue(e.getMessage().contains("tiny.json") && e.getMessage().contains(c[1])
                    && !e.getMessage().contains("\n"), c[0] + " -> " + e.getMessage());
        }
    }

    private static void replaceInput(Path dir, String input) throws Exception {
        Path file = dir.resolve("tiny.json");
        Files.writeString(file, Files.readString(file).replaceFirst("\"input\":\\{[^}]*\\}", "\"input\":" + input));
    }

    @Test
    void classCountMustMatchTheOutputLayer(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Files.writeString(dir.resolve("tiny.json"), Files.readString(dir.resolve("tiny.json")).replace("\"c\"]", "\"c\",\"d\"]"));
        UserError e = assertThrows(UserError.class, () -> new ModelStore(dir).load("tiny"));
        assertTrue(e.getMessage().contains("lists 4 classes") && e.getMessage().contains("has 3 units"), e.getMessage());
    }

    /** A colour inputShape for a grey model fails on reading with one line naming the metadata, and other models still load. */
    @Test
    void anInputShapeTheNetworkCannotTakeIsOneLineNamingTheMetadata(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        FixtureModels.writeLeNet(dir, "other");
        Files.writeString(dir.resolve("tiny.json"), Files.readString(dir.resolve("tiny.json")).replaceFirst(
                "\"inputShape\":\\[1,", "\"inputShape\":[3,"));
        ModelStore store = new ModelStore(dir);
        UserError e = assertThrows(UserError.class, () -> store.load("tiny"));
        assertEquals("model 'tiny' cannot be used: " + dir.resolve("tiny.json") + ": the model cannot take \"inputShape\" [3, 28, 28]: layer conv1 convolves 1 channels, got 3",
                e.getMessage());
        assertEquals(7, store.load("other").layers().size());
    }

    /**
     * An inputShape of a size the network's dense layer cannot take refuses the model with one line naming the metadata
     * and the layer, as a wrong channel count does, where the model was listed available with its output layer gone.
     */
    @Test
    void anInputSizeALayerCannotTakeIsOneLineNamingTheMetadataAndTheLayer(@TempDir Path dir) throws Exception {
        Files.copy(Path.of("models/fashion-cnn.zip"), dir.resolve("fashion-cnn.zip"));
        Files.writeString(dir.resolve("fashbig.json"), "{\"id\":\"fashbig\",\"file\":\"fashion-cnn.zip\",\"inputShape\":[1,56,56]}");
        Files.writeString(dir.resolve("fashion.json"), "{\"id\":\"fashion\",\"file\":\"fashion-cnn.zip\",\"inputShape\":[1,28,28]}");
        ModelStore store = new ModelStore(dir);
        UserError e = assertThrows(UserError.class, () -> store.load("fashbig"));
        String why = dir.resolve("fashbig.json") + ": the model cannot take \"inputShape\" [1, 56, 56]: layer output expects 1024"
                + " inputs, got shape [1, 7744]";
        assertEquals("model 'fashbig' cannot be used: " + why, e.getMessage());
        ModelStore.Entry entry = store.list().get(0);
        assertEquals("fashbig", entry.id());
        assertFalse(entry.available());
        assertEquals(why, entry.error());
        // The same file at its own size keeps every layer, the dense output among them; at a run's larger size its
        // convolutions still compile, the output layer then unavailable.
        LoadedModel fashion = store.load("fashion");
        assertEquals("output", fashion.layers().get(fashion.layers().size() - 1).name());
        assertFalse(fashion.compile(1, 56).layers().stream().anyMatch(l -> l.name().equals("output")));
    }

    /**
     * A functional Keras model whose declared size runs a pooling map out midway is refused naming that layer, where it
     * was listed available ending before it; a size the first convolution of a model cannot take names the metadata too.
     */
    @Test
    void anInputSizeThatCutsAKerasModelShortIsOneLineNamingTheMetadataAndTheLayer(@TempDir Path dir) throws Exception {
        Files.copy(Path.of("src/test/resources/keras/rgb-functional.h5"), dir.resolve("rgb.h5"));
        Files.writeString(dir.resolve("small.json"), "{\"id\":\"small\",\"file\":\"rgb.h5\",\"inputShape\":[3,6,6]}");
        Files.copy(Path.of("src/test/resources/keras/mnist-seq.h5"), dir.resolve("grey.h5"));
        Files.writeString(dir.resolve("tiny.json"), "{\"id\":\"tiny\",\"file\":\"grey.h5\",\"inputShape\":[1,2,2]}");
        ModelStore store = new ModelStore(dir);
        UserError small = assertThrows(UserError.class, () -> store.load("small"));
        assertEquals("model 'small' cannot be used: " + dir.resolve("small.json") + ": the model cannot take \"inputShape\""
                + " [3, 6, 6]: input is too small for layer average_pooling2d_1: its map is 1 px padded, its window 2 px",
                small.getMessage());
        UserError tiny = assertThrows(UserError.class, () -> store.load("tiny"));
        assertEquals("model 'tiny' cannot be used: " + dir.resolve("tiny.json") + ": the model cannot take \"inputShape\""
                + " [1, 2, 2]: input is too small for layer conv2d_1: its map is 2 px padded, its kernel 3 px", tiny.getMessage());
        assertEquals(List.of(false, false), store.list().stream().map(ModelStore.Entry::available).toList());
    }

    @Test
    void networksAreLentOutOneRunAtATimeAndReused(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        LoadedModel model = new ModelStore(dir).load("tiny");
        var first = model.borrow(2, 28);
        var second = model.borrow(2, 28);
        assertTrue(first != second, "two runs at once get two networks");
        model.release(first);
        assertTrue(model.borrow(2, 28) == first, "a released network is reused");
        assertTrue(model.borrow(3, 28) != second, "another batch size gets its own network");
    }
}
