package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code serve}: the web server and page; prints "listening on http://HOST:PORT" when ready. */
final class ServeCommand {
    private ServeCommand() {
    }

    static int run(String[] args) throws InterruptedException {
        Flags flags = Flags.parse("serve", args, Set.of("host", "port", "models", "token", "allow-origin",
                "max-runs", "max-queue"), Set.of());
        String token = flags.string("token", System.getenv("FILTERSCOPE_TOKEN"));
        List<String> origins = flags.has("allow-origin")
                ? Arrays.stream(flags.string("allow-origin", "").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                : List.of();
        ServerConfig defaults = ServerConfig.defaults(flags.path("models", "models"));
        ServerConfig config = new ServerConfig(flags.string("host", "127.0.0.1"), flags.integer("port", 8080, 0, 65535),
                defaults.models(), token, origins, flags.integer("max-runs", defaults.maxActiveRuns(), 1, 1024),
                flags.integer("max-queue", defaults.maxQueuedRuns(), 0, 100_000), defaults.maxUploadBytes(),
                defaults.maxUploadPixels());
        FilterScopeServer server;
        try {
            server = FilterScopeServer.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new UserError("serve: cannot listen on " + config.host() + ":" + config.port() + ": " + cause.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            stopped.countDown();
        }));
        System.out.println("listening on http://" + config.host() + ":" + server.port());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
