package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.ClusterOptions;
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

    /** {@code --tls-cert} and {@code --tls-key} go together; both must be readable PEM files. */
    private static ServerConfig.Tls tls(Flags flags) {
        if (!flags.has("tls-cert") && !flags.has("tls-key")) {
            return null;
        }
        java.nio.file.Path cert = flags.path("tls-cert", null);
        java.nio.file.Path key = flags.path("tls-key", null);
        if (cert == null || key == null) {
            throw new UserError("serve: --tls-cert and --tls-key go together (PEM certificate and PEM private key)");
        }
        for (java.nio.file.Path p : List.of(cert, key)) {
            if (!java.nio.file.Files.isReadable(p)) {
                throw new UserError("serve: cannot read " + p);
            }
        }
        return new ServerConfig.Tls(cert, key);
    }

    static int run(String[] args) throws InterruptedException {
        Set<String> valued = new java.util.HashSet<>(Set.of("host", "port", "models", "token", "allow-origin", "allow-host",
                "tls-cert", "tls-key"));
        valued.addAll(LimitFlags.names(LimitFlags.ALL));
        valued.addAll(ClusterFlags.VALUES);
        Flags flags = Flags.parse("serve", args, valued, Set.of("cluster", "no-compute"));
        String token = flags.string("token", System.getenv("FILTERSCOPE_TOKEN"));
        ServerConfig config = new ServerConfig(flags.string("host", "127.0.0.1"), flags.integer("port", 8080, 0, 65535),
                flags.path("models", "models"), token, list(flags, "allow-origin"), list(flags, "allow-host"),
                LimitFlags.parse("serve", flags, LimitFlags.ALL), tls(flags));
        ClusterOptions cluster = ClusterFlags.parse("serve", flags);
        if (flags.has("no-compute") && cluster == null) {
            throw new UserError("serve: --no-compute needs --cluster (without a cluster nothing would compute)");
        }
        FilterScopeServer.Roles roles = new FilterScopeServer.Roles(true, !flags.has("no-compute"), cluster);
        return runUntilStopped("serve", config, roles, server -> "listening on "
                + (config.tls() == null ? "http" : "https") + "://" + config.host() + ":" + server.port());
    }

    /** A comma-separated flag's items; none when it is not given. */
    private static List<String> list(Flags flags, String name) {
        return Arrays.stream(flags.string(name, "").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Starts a node, prints {@code ready} once it is, and runs until the JVM is told to stop (SIGTERM,
     * Ctrl-C): then it ends its runs, telling their clients, and leaves within a bounded time.
     */
    static int runUntilStopped(String command, ServerConfig config, FilterScopeServer.Roles roles,
                               java.util.function.Function<FilterScopeServer, String> ready) throws InterruptedException {
        FilterScopeServer server;
        try {
            server = FilterScopeServer.start(config, roles).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new UserError(command + ": cannot start" + (roles.front() ? " on " + config.host() + ":" + config.port() : "")
                    + ": " + cause.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            stopped.countDown();
        }));
        System.out.println(ready.apply(server));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
