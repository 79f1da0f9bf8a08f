package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve}'s flags checked before anything loads: a wrong file is said at once, in one line naming it. */
class ServeCommandTest {

    /** An empty token (a variable that was not set) would serve everyone unasked: it is refused before the models load. */
    @Test
    void anEmptyTokenIsRefusedNotTakenAsNone(@TempDir Path dir) {
        String models = dir.resolve("no-such-folder").toString();
        String expected = "serve: --token is empty (an unset variable?): give the token, or leave out --token and "
                + "FILTERSCOPE_TOKEN to serve without one";
        assertEquals(expected, CommandLine.fail("serve", "--port", "0", "--models", models, "--token", "").message());
        assertEquals(expected, CommandLine.fail("serve", "--port", "0", "--models", models, "--token", "  ").message());
    }

    /** An empty --allow-origin (or --allow-host) was taken as none, silently, whereas an empty --token is refused. */
    @Test
    void anEmptyAllowedOriginOrHostIsRefusedAsAnEmptyTokenIs(@TempDir Path dir) {
        String models = dir.resolve("no-such-folder").toString();
        assertEquals("serve: --allow-origin is empty (an unset variable?): give an origin such as https://class.example.org, "
                + "or leave out --allow-origin", CommandLine.fail("serve", "--port", "0", "--models", models, "--allow-origin", "").message());
        assertEquals("serve: --allow-origin has an empty item (an unset variable?): give an origin such as https://class.example.org, "
                + "or leave out --allow-origin",
                CommandLine.fail("serve", "--port", "0", "--models", models, "--allow-origin", "https://a.org, ,https://b.org").message());
        assertEquals("serve: --allow-host is empty (an unset variable?): give a host name such as class.example.org, "
                + "or leave out --allow-host", CommandLine.fail("serve", "--port", "0", "--models", models, "--allow-host", " ").message());
    }

    /** The models folder does not exist: had the models been read first, that would be the error. */
    @Test
    void filesThatAreNoPemCertificateOrKeyAreSaidBeforeTheModelsAreRead(@TempDir Path dir) throws Exception {
        Path photo = Files.write(dir.resolve("photo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String models = dir.resolve("no-such-folder").toString();
        assertEquals("serve: --tls-cert " + photo + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                CommandLine.fail("serve", "--port", "0", "--models", models, "--tls-cert", photo.toString(),
                        "--tls-key", photo.toString()).message());

        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1").redirectErrorStream(true).start();
        assertEquals(0, openssl.waitFor(), new String(openssl.getInputStream().readAllBytes()));
        assertEquals("serve: --tls-key " + cert + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
                CommandLine.fail("serve", "--port", "0", "--models", models, "--tls-cert", cert.toString(),
                        "--tls-key", cert.toString()).message());
        // Both right: the next thing checked is the models folder.
        String next = CommandLine.fail("serve", "--port", "0", "--models", models, "--tls-cert", cert.toString(),
                "--tls-key", key.toString()).message();
        assertEquals("serve: models folder " + dir.resolve("no-such-folder") + " does not exist (give --models DIR or set FILTERSCOPE_MODELS)", next);
    }

    /**
     * {@code serve} says it warms up as it begins, before the wait (a newcomer's fresh machine gave 43 s of silence
     * before "listening on"), on standard error: standard output's first line is still the ready line.
     */
    @Test
    void serveSaysAtOnceThatItWarmsUpAndHowToSkipIt(@TempDir Path dir) throws Exception {
        io.filterscope.model.FixtureModels.writeLeNet(dir, "tiny");
        Process p = CommandProcessTest.command(java.util.Map.of(), "serve", "--port", "0", "--models", dir.toString()).start();
        // Not closed here: closing a reader waits for the thread reading it, which waits for the process to end.
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), java.nio.charset.StandardCharsets.UTF_8));
        try {
            var said = java.util.concurrent.CompletableFuture.supplyAsync(() -> lineStarting(err, "serve: warming up"));
            var listening = java.util.concurrent.CompletableFuture.supplyAsync(() -> lineStarting(out, ""));
            String[] warming = said.get(60, java.util.concurrent.TimeUnit.SECONDS);
            String[] ready = listening.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("serve: warming up before listening: stepping each model's usual runs and scoring its default layer's"
                    + " example pictures, for at most 20 s once the device is measured (--no-warm-up skips it)", warming[0]);
            org.junit.jupiter.api.Assertions.assertTrue(ready[0].startsWith("listening on http://127.0.0.1:"), ready[0]);
            org.junit.jupiter.api.Assertions.assertTrue(Long.parseLong(warming[1]) < Long.parseLong(ready[1]), "said before listening");
        } finally {
            p.destroy();
            p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** A stream's first line that starts with {@code prefix} (null at its end), and the System.nanoTime it came at (as text). */
    private static String[] lineStarting(java.io.BufferedReader in, String prefix) {
        try {
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.startsWith(prefix));
            return new String[] {String.valueOf(line), String.valueOf(System.nanoTime())};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
