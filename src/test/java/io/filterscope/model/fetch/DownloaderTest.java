package io.filterscope.model.fetch;

import static io.filterscope.model.fetch.FetchFixtures.md5;
import static io.filterscope.model.fetch.FetchFixtures.randomBytes;
import static io.filterscope.model.fetch.FetchFixtures.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.Progress;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
    private static final Duration SHORT = Duration.ofMillis(500);

    @TempDir
    Path dir;
    private FixtureServer server;
    private final List<String> notes = new ArrayList<>();
    private final byte[] bytes = randomBytes(300_000, 1);

    @BeforeEach
    void start() throws IOException {
        server = new FixtureServer();
        server.put("weights.h5", bytes);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Downloader downloader() {
        return new Downloader(SHORT, SHORT, notes::add);
    }

    private URI url(String name) {
        return URI.create(server.baseUrl() + "/" + name);
    }

    @Test
    void downloadsVerifiesAndPutsTheFileInPlace() throws Exception {
        long[] last = new long[2];
        Progress progress = (done, total, what) -> {
            last[0] = done;
            last[1] = total;
        };
        Path target = dir.resolve("weights.h5");
        Downloader.Result result = downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), progress);
        assertEquals(Downloader.Outcome.DOWNLOADED, result.outcome());
        assertArrayEquals(bytes, Files.readAllBytes(target));
        assertFalse(Files.exists(Downloader.partOf(target)), "no .part left behind");
        assertEquals(bytes.length, last[0]);
        assertEquals(bytes.length, last[1], "the progress ends at the whole file");

        Downloader.Result again = downloader().fetch(url("weights.h5"), target, Checksum.hex(sha256(bytes)), Progress.NONE);
        assertEquals(Downloader.Outcome.ALREADY_PRESENT, again.outcome(), "a verified file is not downloaded again");
        assertEquals(1, server.requests.size(), server.requests.toString());
    }

    @Test
    void resumesABrokenDownloadWithARangeRequest() throws Exception {
        Path target = dir.resolve("weights.h5");
        server.dropAfter = 120_000;
        DownloadException broken = assertThrows(DownloadException.class,
                () -> downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE));
        assertEquals(DownloadException.Kind.INTERRUPTED, broken.kind);
        assertTrue(broken.getMessage().contains(url("weights.h5").toString()) && broken.getMessage().contains("resume"),
                broken.getMessage());
        assertFalse(Files.exists(target), "an unverified file never takes the target's name");
        assertEquals(120_000, Files.size(Downloader.partOf(target)), "what arrived is kept");

        Downloader.Result result = downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE);
        assertEquals(Downloader.Outcome.RESUMED, result.outcome());
        assertArrayEquals(bytes, Files.readAllBytes(target));
        assertEquals(List.of("weights.h5 -", "weights.h5 bytes=120000-"), server.requests);
        assertEquals(bytes.length, server.bodyBytesSent.get(), "no byte was sent twice");
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("resuming weights.h5.part at")), notes.toString());
    }

    @Test
    void startsAgainWhenTheServerIgnoresRange() throws Exception {
        Path target = dir.resolve("weights.h5");
        Files.write(Downloader.partOf(target), Arrays.copyOf(bytes, 50_000));
        server.ignoreRange = true;
        Downloader.Result result = downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE);
        assertEquals(Downloader.Outcome.DOWNLOADED, result.outcome());
        assertArrayEquals(bytes, Files.readAllBytes(target), "the old part was not kept in front of the whole file");
        assertTrue(notes.stream().anyMatch(n -> n.contains("does not resume")), notes.toString());
    }

    @Test
    void aCompletePartFileIsVerifiedWithoutDownloadingAgain() throws Exception {
        Path target = dir.resolve("weights.h5");
        Files.write(Downloader.partOf(target), bytes);
        Downloader.Result result = downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE);
        assertEquals(Downloader.Outcome.RESUMED, result.outcome());
        assertArrayEquals(bytes, Files.readAllBytes(target));
        assertEquals(0, server.bodyBytesSent.get());
    }

    @Test
    void aChecksumMismatchDeletesTheDownloadAndSaysBothHashes() throws Exception {
        Path target = dir.resolve("weights.h5");
        String wrong = "0123456789abcdef0123456789abcdef";
        DownloadException e = assertThrows(DownloadException.class,
                () -> downloader().fetch(url("weights.h5"), target, Checksum.hex(wrong), Progress.NONE));
        assertEquals(DownloadException.Kind.CHECKSUM, e.kind);
        assertTrue(e.getMessage().contains("expected md5 " + wrong) && e.getMessage().contains("got " + md5(bytes))
                && e.getMessage().contains("deleted") && e.getMessage().contains(url("weights.h5").toString()), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(Downloader.partOf(target)));
    }

    @Test
    void aWrongFileAlreadyInPlaceIsReplaced() throws Exception {
        Path target = dir.resolve("weights.h5");
        Files.write(target, new byte[] {1, 2, 3});
        Downloader.Result result = downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE);
        assertEquals(Downloader.Outcome.DOWNLOADED, result.outcome());
        assertArrayEquals(bytes, Files.readAllBytes(target));
    }

    @Test
    void anHttpErrorNamesTheStatusAndTheUrl() {
        Path target = dir.resolve("missing.h5");
        DownloadException e = assertThrows(DownloadException.class,
                () -> downloader().fetch(url("missing.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE));
        assertEquals(DownloadException.Kind.HTTP_STATUS, e.kind);
        assertEquals("HTTP 404 Not Found for " + url("missing.h5"), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void aServerThatNeverAnswersEndsWithinTheTimeout() throws Exception {
        try (FixtureServer.Silent silent = new FixtureServer.Silent()) {
            URI url = URI.create(silent.baseUrl() + "/weights.h5");
            long started = System.nanoTime();
            DownloadException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(DownloadException.class,
                    () -> downloader().fetch(url, dir.resolve("weights.h5"), Checksum.hex(md5(bytes)), Progress.NONE)));
            double seconds = (System.nanoTime() - started) / 1e9;
            assertEquals(DownloadException.Kind.TIMEOUT, e.kind);
            assertTrue(e.getMessage().contains(url.toString()) && e.getMessage().contains("0.5 s"), e.getMessage());
            assertTrue(seconds < 5, "gave up after " + seconds + " s with a 0.5 s timeout");
        }
    }

    @Test
    void aServerThatStallsMidFileEndsWithinTheTimeoutAndKeepsThePart() throws Exception {
        Path target = dir.resolve("weights.h5");
        server.stallAfter = 100_000;
        DownloadException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(DownloadException.class,
                () -> downloader().fetch(url("weights.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE)));
        assertEquals(DownloadException.Kind.TIMEOUT, e.kind);
        assertTrue(e.getMessage().startsWith("no data from 127.0.0.1 for 0.5 s while downloading " + url("weights.h5")),
                e.getMessage());
        assertTrue(e.getMessage().contains("resume"), e.getMessage());
        assertFalse(Files.exists(target));
        assertEquals(100_000, Files.size(Downloader.partOf(target)), "what arrived is kept for a resume");
    }

    @Test
    void noServerListeningIsAOneLineErrorNamingTheUrl() throws Exception {
        URI url = URI.create(FixtureServer.nothingListening() + "/weights.h5");
        DownloadException e = assertThrows(DownloadException.class,
                () -> downloader().fetch(url, dir.resolve("weights.h5"), Checksum.hex(md5(bytes)), Progress.NONE));
        assertEquals(DownloadException.Kind.UNREACHABLE, e.kind);
        assertTrue(e.offline());
        assertTrue(e.getMessage().contains("cannot connect to 127.0.0.1:") && e.getMessage().endsWith("to download " + url),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(Downloader.partOf(dir.resolve("weights.h5"))), "no empty .part left behind");
    }

    @Test
    void anUnknownHostIsUnreachable() {
        URI url = URI.create("http://no-such-host.invalid/weights.h5");
        DownloadException e = assertThrows(DownloadException.class,
                () -> downloader().fetch(url, dir.resolve("weights.h5"), Checksum.hex(md5(bytes)), Progress.NONE));
        assertEquals(DownloadException.Kind.UNREACHABLE, e.kind);
        assertTrue(e.getMessage().startsWith("cannot resolve no-such-host.invalid") && e.getMessage().contains(url.toString()),
                e.getMessage());
    }

    @Test
    void redirectsAreFollowedAndAResumedDownloadAsksTheirTargetForTheRest() throws Exception {
        Path target = dir.resolve("weights.h5");
        server.put("v2/weights.h5", bytes);
        // Relative, absolute and permanent: 302 to a path, then 301 to a full URL.
        server.redirects.put("latest.h5", Map.entry(302, "/mirror/weights.h5"));
        server.redirects.put("mirror/weights.h5", Map.entry(301, server.baseUrl() + "/v2/weights.h5"));
        server.dropAfter = 100_000;
        assertThrows(DownloadException.class, () -> downloader().fetch(url("latest.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE));
        Downloader.Result result = downloader().fetch(url("latest.h5"), target, Checksum.hex(md5(bytes)), Progress.NONE);
        assertEquals(Downloader.Outcome.RESUMED, result.outcome());
        assertArrayEquals(bytes, Files.readAllBytes(target));
        assertEquals(List.of("latest.h5 -", "mirror/weights.h5 -", "v2/weights.h5 -",
                "latest.h5 bytes=100000-", "mirror/weights.h5 bytes=100000-", "v2/weights.h5 bytes=100000-"), server.requests);
    }

    @Test
    void aRedirectLoopOrARedirectWithoutLocationEndsWithOneLine() {
        server.redirects.put("a.h5", Map.entry(307, "/b.h5"));
        server.redirects.put("b.h5", Map.entry(308, "/a.h5"));
        DownloadException loop = assertThrows(DownloadException.class,
                () -> downloader().fetch(url("a.h5"), dir.resolve("a.h5"), Checksum.hex(md5(bytes)), Progress.NONE));
        assertEquals(DownloadException.Kind.HTTP_STATUS, loop.kind);
        assertTrue(loop.getMessage().endsWith("after 5 redirects") && !loop.getMessage().contains("\n"), loop.getMessage());
        assertEquals(6, server.requests.size(), "the first request and five redirects: " + server.requests);
    }

    @Test
    void downloadsOverHttpsFromATrustedServerAndRefusesAnUntrustedOne() throws Exception {
        javax.net.ssl.SSLContext tls = FetchFixtures.selfSignedTls(dir);
        javax.net.ssl.SSLSocketFactory before = javax.net.ssl.HttpsURLConnection.getDefaultSSLSocketFactory();
        try (FixtureServer https = new FixtureServer(tls)) {
            https.put("weights.h5", bytes);
            URI url = URI.create(https.baseUrl() + "/weights.h5");
            DownloadException untrusted = assertThrows(DownloadException.class,
                    () -> downloader().fetch(url, dir.resolve("untrusted.h5"), Checksum.hex(md5(bytes)), Progress.NONE));
            assertTrue(untrusted.getMessage().startsWith("cannot connect to 127.0.0.1:") && untrusted.getMessage().endsWith(url.toString())
                    && !untrusted.getMessage().contains("\n"), untrusted.getMessage());
            assertFalse(Files.exists(dir.resolve("untrusted.h5")));

            javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(tls.getSocketFactory());
            Path target = dir.resolve("weights.h5");
            assertEquals(Downloader.Outcome.DOWNLOADED, downloader().fetch(url, target, Checksum.hex(md5(bytes)), Progress.NONE).outcome());
            assertArrayEquals(bytes, Files.readAllBytes(target));
        } finally {
            javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(before);
        }
    }

    @Test
    void checksumsAreToldApartByLength() throws Exception {
        Path file = dir.resolve("f");
        Files.write(file, "abc".getBytes());
        assertEquals("md5", Checksum.hex("900150983CD24FB0D6963F7D28E17F72").algorithm());
        assertTrue(Checksum.hex("900150983CD24FB0D6963F7D28E17F72").matches(Checksum.hex("900150983cd24fb0d6963f7d28e17f72").of(file)));
        Checksum sha = Checksum.hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertEquals("sha256", sha.algorithm());
        assertTrue(sha.matches(sha.of(file)));
        // Adler-32 of "abc" is 0x024d0127.
        assertTrue(Checksum.adler32(0x024d0127L).matches(Checksum.adler32(0).of(file)));
        assertThrows(IllegalArgumentException.class, () -> Checksum.hex("abc"));
    }
}
