package io.filterscope.cli;

import static io.filterscope.model.fetch.FetchFixtures.weightsOnly;
import static io.filterscope.model.fetch.FetchFixtures.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.model.ModelStore;
import io.filterscope.model.fetch.DownloadException;
import io.filterscope.model.fetch.Downloader;
import io.filterscope.model.fetch.FixtureServer;
import io.filterscope.model.fetch.KnownModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fetch-model} against a file server on 127.0.0.1 given as {@code --base-url}. The real catalogue's
 * hashes belong to files the tests cannot have, so the real names show the failures and a catalogue of
 * fixtures shows the successes.
 */
class FetchModelCommandTest {
    private static final String VGG16_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5";

    @TempDir
    Path dir;

    @Test
    void listsTheCatalogueWithNoNameOrWithList() throws Exception {
        for (String[] args : List.of(new String[] {}, new String[] {"--list"})) {
            String out = CommandLine.capture(() -> FetchModelCommand.run(args));
            assertTrue(out.contains("vgg16") && out.contains("vgg19") && out.contains("resnet50") && out.contains("vgg16-dl4j"), out);
            assertTrue(out.lines().anyMatch(l -> l.trim().startsWith("vgg16 ") && l.contains("~59 MB") && l.endsWith("(suggested)")), out);
        }
        assertTrue(CommandLine.run("fetch-model", "--list").contains("Keras HDF5 weights"));
    }

    @Test
    void fetchesWritesMetadataAndSaysSoWhenItIsAlreadyThere() throws Exception {
        byte[] weights = randomBytes(200_000, 7);
        KnownModel model = weightsOnly(weights);
        try (FixtureServer server = new FixtureServer()) {
            server.put(model.fileName(), weights);
            String[] args = {"tiny-notop", "--base-url", server.baseUrl(), "--models", dir.toString()};
            String out = CommandLine.capture(() -> FetchModelCommand.run(args, List.of(model)));
            assertTrue(out.contains("downloading " + server.baseUrl() + "/tiny_notop.bin"), out);
            assertTrue(out.contains(dir.resolve("tiny_notop.bin") + ": downloaded, 200.0 kB, md5 verified"), out);
            assertTrue(out.contains("wrote " + dir.resolve("tiny-notop.json")), out);
            assertArrayEquals(weights, Files.readAllBytes(dir.resolve("tiny_notop.bin")));
            assertTrue(new ModelStore(dir).list().stream().anyMatch(e -> e.id().equals("tiny-notop") && e.available()),
                    new ModelStore(dir).list().toString());

            String again = CommandLine.capture(() -> FetchModelCommand.run(args, List.of(model)));
            assertTrue(again.contains("already here") && again.contains("is up to date"), again);
            assertEquals(1, server.requests.size(), "the second run downloads nothing");
        }
    }

    @Test
    void aSecondRunResumesWhereTheFirstBrokeOff() throws Exception {
        byte[] weights = randomBytes(400_000, 8);
        KnownModel model = weightsOnly(weights);
        try (FixtureServer server = new FixtureServer()) {
            server.put(model.fileName(), weights);
            server.dropAfter = 150_000;
            String[] args = {"tiny-notop", "--base-url", server.baseUrl(), "--models", dir.toString()};
            DownloadException e = assertThrows(DownloadException.class, () -> FetchModelCommand.run(args, List.of(model)));
            assertTrue(e.getMessage().contains("broke off at 150.0 kB of 400.0 kB"), e.getMessage());
            String out = CommandLine.capture(() -> FetchModelCommand.run(args, List.of(model)));
            assertTrue(out.contains("resuming tiny_notop.bin.part at"), out);
            assertTrue(out.contains("download resumed and finished"), out);
            assertEquals(List.of("tiny_notop.bin -", "tiny_notop.bin bytes=150000-"), server.requests);
            assertEquals(weights.length, server.bodyBytesSent.get(), "no byte was sent twice");
            assertArrayEquals(weights, Files.readAllBytes(dir.resolve("tiny_notop.bin")));
        }
    }

    @Test
    void aFileThatDoesNotMatchThePublishedHashIsDeleted() throws Exception {
        try (FixtureServer server = new FixtureServer()) {
            server.put(VGG16_FILE, randomBytes(50_000, 9));
            DownloadException e = assertThrows(DownloadException.class,
                    () -> Main.run(new String[] {"fetch-model", "vgg16", "--base-url", server.baseUrl(), "--models", dir.toString()}));
            assertEquals(DownloadException.Kind.CHECKSUM, e.kind);
            assertTrue(e.getMessage().startsWith("checksum mismatch for " + server.baseUrl() + "/" + VGG16_FILE
                    + ": expected md5 6d6bbae143d832006294945121d1f1fc, got "), e.getMessage());
            assertTrue(e.getMessage().endsWith("the download was deleted"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve(VGG16_FILE)));
        assertFalse(Files.exists(Downloader.partOf(dir.resolve(VGG16_FILE))));
        assertFalse(Files.exists(dir.resolve("vgg16.json")));
    }

    @Test
    void aMissingFileIsAnHttpErrorNamingTheUrl() throws Exception {
        try (FixtureServer server = new FixtureServer()) {
            DownloadException e = assertThrows(DownloadException.class,
                    () -> Main.run(new String[] {"fetch-model", "vgg19", "--base-url", server.baseUrl() + "/", "--models", dir.toString()}));
            assertEquals("HTTP 404 Not Found for " + server.baseUrl() + "/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    e.getMessage());
        }
    }

    @Test
    void aStalledServerEndsWithinTheTimeoutWithAdviceToPlaceTheFileByHand() throws Exception {
        try (FixtureServer.Silent silent = new FixtureServer.Silent()) {
            long started = System.nanoTime();
            DownloadException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(DownloadException.class,
                    () -> Main.run(new String[] {"fetch-model", "vgg16", "--base-url", silent.baseUrl(), "--timeout", "1",
                        "--models", dir.toString()})));
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(seconds < 10, "gave up after " + seconds + " s with --timeout 1");
            assertEquals(DownloadException.Kind.TIMEOUT, e.kind);
            assertTrue(e.getMessage().contains("did not answer within 1 s") && e.getMessage().contains("save it as "
                    + dir.resolve(VGG16_FILE)), e.getMessage());
        }
    }

    @Test
    void withNoServerTheOneLineErrorNamesTheUrlAndHowToPlaceTheFileByHand() throws Exception {
        String base = FixtureServer.nothingListening();
        DownloadException e = assertThrows(DownloadException.class,
                () -> Main.run(new String[] {"fetch-model", "vgg16", "--base-url", base, "--models", dir.toString()}));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.startsWith("cannot connect to 127.0.0.1:"), m);
        assertTrue(m.contains("to download " + base + "/" + VGG16_FILE), m);
        assertTrue(m.endsWith("to place it by hand, download https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
                + VGG16_FILE + " where there is network, save it as " + dir.resolve(VGG16_FILE)
                + " and run 'fetch-model vgg16' again"), m);
    }

    @Test
    void badArgumentsAreOneLineUserErrors() {
        UserError unknown = assertThrows(UserError.class, () -> Main.run(new String[] {"fetch-model", "alexnet"}));
        assertTrue(unknown.notFound && unknown.getMessage().contains("unknown model 'alexnet' (known: vgg16, vgg19, resnet50"),
                unknown.getMessage());
        UserError base = assertThrows(UserError.class, () -> Main.run(new String[] {"fetch-model", "vgg16", "--base-url", "ftp://x"}));
        assertTrue(base.getMessage().contains("--base-url (or FILTERSCOPE_MODEL_BASE_URL) must be an http(s) URL"), base.getMessage());
        UserError two = assertThrows(UserError.class, () -> Main.run(new String[] {"fetch-model", "vgg16", "vgg19"}));
        assertTrue(two.getMessage().contains("one model at a time"), two.getMessage());
        UserError timeout = assertThrows(UserError.class, () -> Main.run(new String[] {"fetch-model", "vgg16", "--timeout", "0"}));
        assertTrue(timeout.getMessage().contains("--timeout must be between 1 and 3600"), timeout.getMessage());
    }
}
