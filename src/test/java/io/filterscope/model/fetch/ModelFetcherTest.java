package io.filterscope.model.fetch;

import static io.filterscope.model.fetch.FetchFixtures.dl4jModel;
import static io.filterscope.model.fetch.FetchFixtures.weightsOnly;
import static io.filterscope.model.fetch.FetchFixtures.lenetZip;
import static io.filterscope.model.fetch.FetchFixtures.md5;
import static io.filterscope.model.fetch.FetchFixtures.randomBytes;
import static io.filterscope.model.fetch.FetchFixtures.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.Progress;
import io.filterscope.UserError;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import io.filterscope.model.keras.KerasFixtures;
import io.filterscope.model.onnx.TorchFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFetcherTest {
    @TempDir
    Path dir;
    private final List<String> log = new ArrayList<>();

    private ModelFetcher fetcher(String baseUrl) {
        Duration t = Duration.ofSeconds(5);
        return new ModelFetcher(dir, baseUrl, new Downloader(t, t, log::add), () -> Progress.NONE, log::add);
    }

    @Test
    void fetchesAModelAndItsClassNamesAndWritesMetadataTheStoreLoads() throws Exception {
        byte[] zip = lenetZip();
        byte[] labels = FetchFixtures.LABELS_JSON.getBytes(StandardCharsets.UTF_8);
        KnownModel model = dl4jModel(zip, md5(labels));
        try (FixtureServer server = new FixtureServer()) {
            server.put("tiny_dl4j_inference.zip", zip);
            server.put("classes.json", labels);
            Path metadata = fetcher(server.baseUrl() + "/").fetch(model);
            assertEquals(dir.resolve("tiny-dl4j.json"), metadata);
            assertTrue(Files.isRegularFile(dir.resolve(ModelFetcher.LABELS_DIR).resolve("classes.json")));

            LoadedModel loaded = new ModelStore(dir).load("tiny-dl4j");
            assertEquals(List.of("tench", "goldfish", "great white shark"), loaded.classes());
            assertEquals("conv4", loaded.layer("conv4").name());
            ModelMetadata meta = loaded.metadata();
            assertEquals(model.url().toString(), meta.source().url(), "the published URL, not the mirror's");
            assertEquals(sha256(zip), meta.source().sha256());
            assertNull(meta.architecture());
            assertTrue(meta.provenance().trainedWith().contains("fetch-model tiny-dl4j"));

            log.clear();
            int requests = server.requests.size();
            fetcher(server.baseUrl()).fetch(model);
            assertEquals(requests, server.requests.size(), "nothing is downloaded again");
            assertTrue(log.contains(dir.resolve("tiny_dl4j_inference.zip") + ": already here, " + Downloader.readable(zip.length)
                    + ", sha256 verified"), log.toString());
            assertTrue(log.contains(metadata + " is up to date"), log.toString());
        }
    }

    @Test
    void weightsOnlyFilesGetTheirArchitectureAndCaffeInput() throws Exception {
        byte[] weights = randomBytes(40_000, 3);
        KnownModel model = weightsOnly(weights);
        try (FixtureServer server = new FixtureServer()) {
            server.put("tiny_notop.bin", weights);
            fetcher(server.baseUrl()).fetch(model);
        }
        ModelStore.Entry entry = new ModelStore(dir).list().stream().filter(e -> e.id().equals("tiny-notop")).findFirst().orElseThrow();
        assertTrue(entry.available(), "the store reads the metadata: " + entry.error());
        ModelMetadata meta = entry.metadata();
        assertEquals("tiny_notop.bin", meta.file());
        assertEquals("vgg16-notop", meta.architecture());
        assertEquals(List.of(3, 224, 224), meta.inputShape());
        assertEquals(InputSpace.CAFFE_BGR, meta.input());
        assertNull(meta.classes(), "no classifier, so no classes");
        assertEquals(md5(weights), meta.source().md5());
        assertTrue(meta.provenance().licence().startsWith("CC BY 4.0"));
        String json = Files.readString(dir.resolve("tiny-notop.json"));
        assertTrue(json.contains("\"channelOrder\" : \"BGR\"") && json.contains("103.939"), json);
    }

    @Test
    void saysSoWhenTheModelInPlaceCannotBeUsed() throws Exception {
        byte[] weights = randomBytes(1000, 6);
        KnownModel m = weightsOnly(weights);
        KnownModel unknownArchitecture = new KnownModel(m.name(), m.description(), m.fileName(), m.url(), m.checksum(),
                m.approxBytes(), m.format(), "no-such-architecture", m.inputShape(), m.input(), null, m.dataset(),
                m.licence());
        Files.write(dir.resolve(m.fileName()), weights);
        fetcher(FixtureServer.nothingListening()).fetch(unknownArchitecture);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("note: tiny-notop is in place but cannot be used yet: ")
                && l.contains("no-such-architecture")), log.toString());
    }

    /** The promise: fetch vgg16 and its block5_conv1 filters are there to render, with caffe input. */
    @Test
    void vgg16FetchedFromAMirrorLoadsWithItsBlock5Filters(@TempDir Path served) throws Exception {
        KnownModel vgg16 = KnownModels.byName("vgg16");
        Path file = served.resolve(vgg16.fileName());
        KerasFixtures.writeVgg16Notop(file, 11, false);
        byte[] bytes = Files.readAllBytes(file);
        try (FixtureServer server = new FixtureServer()) {
            server.put(vgg16.fileName(), bytes);
            fetcher(server.baseUrl()).fetch(FetchFixtures.withChecksum(vgg16, Checksum.hex(md5(bytes))));
        }
        LoadedModel model = new ModelStore(dir).load("vgg16");
        assertEquals(512, model.layer("block5_conv1").channels());
        assertEquals(InputSpace.CAFFE_BGR, model.inputSpace());
        assertNull(model.classes());
        assertEquals(vgg16.url().toString(), model.metadata().source().url());
    }

    /**
     * The promise for ONNX: fetch googlenet (here a zoo-layout GoogLeNet with random weights, served as
     * googlenet-12.onnx) and its inception 4a-4e outputs are there to render, with Caffe's BGR input and 1000 classes.
     */
    @Test
    void googlenetFetchedFromAMirrorLoadsWithItsInceptionOutputsAndClasses() throws Exception {
        KnownModel googlenet = KnownModels.byName("googlenet");
        Path onnx = TorchFixtures.load("zoo-googlenet", List.of("zoo_googlenet")).get(0).model();
        byte[] bytes = Files.readAllBytes(onnx);
        StringBuilder classes = new StringBuilder("{");
        for (int i = 0; i < 1000; i++) {
            classes.append(i == 0 ? "" : ", ").append('"').append(i).append("\": [\"n").append(i).append("\", \"class_").append(i).append("\"]");
        }
        byte[] labels = classes.append('}').toString().getBytes(StandardCharsets.UTF_8);
        KnownModel.Labels published = googlenet.labels();
        KnownModel served = new KnownModel(googlenet.name(), googlenet.description(), googlenet.fileName(), googlenet.url(),
                Checksum.hex(sha256(bytes)), googlenet.approxBytes(), googlenet.format(), null, googlenet.inputShape(),
                googlenet.input(), new KnownModel.Labels(published.fileName(), published.url(), Checksum.hex(md5(labels)), 1000),
                googlenet.dataset(), googlenet.licence());
        try (FixtureServer server = new FixtureServer()) {
            server.put("googlenet-12.onnx", bytes);
            server.put(published.fileName(), labels);
            fetcher(server.baseUrl()).fetch(served);
            assertTrue(server.requests.contains("googlenet-12.onnx -"), server.requests.toString());
        }
        ModelStore.Entry entry = new ModelStore(dir).list().stream().filter(e -> e.id().equals("googlenet")).findFirst().orElseThrow();
        assertTrue(entry.available(), String.valueOf(entry.error()));
        LoadedModel model = new ModelStore(dir).load("googlenet");
        for (String block : List.of("4a", "4b", "4c", "4d", "4e")) {
            assertEquals(3, model.layer("inception_" + block + "/output_1").outputShape().size());
        }
        assertEquals(512, model.layer("inception_4c/output_1").channels());
        assertEquals(InputSpace.CAFFE_BGR, model.inputSpace());
        assertEquals(1000, model.classes().size());
        assertEquals("class 7", model.classes().get(7));
        assertEquals(googlenet.url().toString(), model.metadata().source().url());
        assertEquals(sha256(bytes), model.metadata().source().sha256());
    }

    @Test
    void withoutNetworkTheMessageSaysWhereToPutTheFileByHand() throws Exception {
        KnownModel model = weightsOnly(randomBytes(1000, 4));
        String base = FixtureServer.nothingListening();
        DownloadException e = assertThrows(DownloadException.class, () -> fetcher(base).fetch(model));
        String m = e.getMessage();
        assertTrue(m.contains("to download " + base + "/tiny_notop.bin"), m);
        assertTrue(m.contains("download " + model.url() + " where there is network, save it as "
                + dir.resolve("tiny_notop.bin") + " and run 'fetch-model tiny-notop' again"), m);
        assertFalse(Files.exists(dir.resolve("tiny-notop.json")));
    }

    @Test
    void aFilePlacedByHandIsVerifiedAndGetsItsMetadata() throws Exception {
        byte[] weights = randomBytes(1000, 5);
        KnownModel model = weightsOnly(weights);
        Files.write(dir.resolve("tiny_notop.bin"), weights);
        fetcher(FixtureServer.nothingListening()).fetch(model);
        assertTrue(Files.isRegularFile(dir.resolve("tiny-notop.json")));
    }

    @Test
    void doesNotOverwriteAnotherModelsMetadata() throws Exception {
        Files.writeString(dir.resolve("tiny-notop.json"), "{\"id\":\"tiny-notop\",\"file\":\"mine.zip\"}");
        UserError e = assertThrows(UserError.class, () -> fetcher(FixtureServer.nothingListening()).fetch(weightsOnly(new byte[10])));
        assertTrue(e.getMessage().contains("already describes another model (file mine.zip)"), e.getMessage());
        assertEquals("mine.zip", new ObjectMapper().readTree(dir.resolve("tiny-notop.json").toFile()).get("file").asText());
    }

    @Test
    void theCatalogueIsConsistent() {
        for (KnownModel m : KnownModels.ALL) {
            assertTrue(m.url().toString().startsWith("https://") && m.url().getPath().endsWith("/" + m.fileName()), m.name());
            assertTrue(m.name().matches("[a-z0-9-]+"), m.name());
            assertEquals(m.format() == KnownModel.Format.KERAS_H5, m.architecture() != null, m.name());
            assertEquals(m.format() == KnownModel.Format.ONNX, m.fileName().endsWith(".onnx"), m.name());
            if (m.format() == KnownModel.Format.ONNX) {
                assertEquals("sha256", m.checksum().algorithm(), "the zoo's hub manifest publishes SHA-256: " + m.name());
                assertTrue(m.url().toString().startsWith("https://media.githubusercontent.com/media/onnx/models/main/validated/"), m.name());
            }
        }
        assertEquals(InputSpace.CAFFE_BGR, KnownModels.byName("googlenet").input());
        assertEquals(InputSpace.TORCHVISION, KnownModels.byName("mobilenetv2").input());
        assertEquals(KnownModels.DEFAULT, KnownModels.byName("vgg16").name());
        assertEquals("vgg16-notop", KnownModels.byName("vgg16").architecture());
        assertEquals("md5", KnownModels.byName("vgg16").checksum().algorithm());
        assertTrue(KnownModels.IMAGENET_LABELS.url().getPath().endsWith("/" + KnownModels.IMAGENET_LABELS.fileName()));
    }
}
