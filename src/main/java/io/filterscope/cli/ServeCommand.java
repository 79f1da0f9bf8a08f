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
                "max-runs", "max-queue", "max-runs-per-connection", "max-connections", "max-messages-per-second"), Set.of());
        String token = flags.string("token", System.getenv("FILTERSCOPE_TOKEN"));
        List<String> origins = flags.has("allow-origin")
                ? Arrays.stream(flags.string("allow-origin", "").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                : List.of();
        ServerConfig.Limits d = ServerConfig.Limits.DEFAULT;
        ServerConfig.Limits limits = d
                .withRuns(flags.integer("max-runs", d.activeRuns(), 1, 1024), flags.integer("max-queue", d.queuedRuns(), 0, 100_000))
                .withConnections(flags.integer("max-runs-per-connection", d.runsPerConnection(), 1, 100_000),
                        flags.integer("max-connections", d.connections(), 1, 1_000_000),
                        flags.integer("max-messages-per-second", d.messagesPerSecond(), 1, 1_000_000));
        ServerConfig config = new ServerConfig(flags.string("host", "127.0.0.1"), flags.integer("port", 8080, 0, 65535),
                flags.path("models", "models"), token, origins, limits);
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
