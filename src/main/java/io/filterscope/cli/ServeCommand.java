package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.ClusterOptions;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code serve}: the web server and page; prints "listening on http://HOST:PORT" when ready. */
@Command(name = "serve", mixinStandardHelpOptions = true, modelTransformer = LimitFlags.Serve.class,
        description = "The web server and explorer page; prints 'listening on http://HOST:PORT' when ready.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "H", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "P", description = "port to listen on, 0 for any free one (default: ${DEFAULT-VALUE})")
    @Bounds(min = 0, max = 65535)
    int port = 8080;

    @Option(names = "--token", paramLabel = "T", defaultValue = "${env:FILTERSCOPE_TOKEN}",
            description = "API and WebSocket need 'Authorization: Bearer T' or ?token=T (or FILTERSCOPE_TOKEN)")
    String token;

    @Option(names = "--allow-origin", paramLabel = "O", split = ",", description = "other origins whose pages may open the WebSocket")
    List<String> origins = List.of();

    @Option(names = "--allow-host", paramLabel = "NAME", split = ",",
            description = "without a token, host names besides the bound host, localhost and IP addresses that requests may name")
    List<String> hosts = List.of();

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "certificate (chain) for HTTPS and WSS, with --tls-key")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "private key for HTTPS and WSS, with --tls-cert")
    Path tlsKey;

    @Option(names = "--no-compute", description = "with --cluster: serve only, leave computing to worker nodes")
    boolean noCompute;

    @Mixin
    ModelsDir models;

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterMixin clusterFlags;

    @Mixin
    WarmUpFlag warmUp;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig.Limits limits = LimitFlags.parse(spec, LimitFlags.ALL);
        Cli.within("serve", this, "--port", port);
        ClusterOptions cluster = clusterFlags.options("serve");
        if (noCompute && cluster == null) {
            throw new UserError("serve: --no-compute needs --cluster (without a cluster nothing would compute)");
        }
        // "--token $T" with T unset would otherwise serve everyone with no token asked, and say nothing.
        if (token != null && token.isBlank()) {
            throw new UserError("serve: --token is empty (an unset variable?): give the token, or leave out --token and "
                    + "FILTERSCOPE_TOKEN to serve without one");
        }
        notEmpty("--allow-origin", origins, "an origin such as https://class.example.org");
        notEmpty("--allow-host", hosts, "a host name such as class.example.org");
        ServerConfig.Tls tls = tls(); // checked before the models load and warm up: a bad file is said at once
        if (!noCompute) {
            models.store();
        }
        ServerConfig config = new ServerConfig(host, port, models.dir(), token,
                trimmed(origins), trimmed(hosts), limits, tls, !warmUp.skip);
        FilterScopeServer.Roles roles = new FilterScopeServer.Roles(true, !noCompute, cluster);
        return runUntilStopped("serve", config, roles, server -> "listening on "
                + (config.tls() == null ? "http" : "https") + "://" + config.host() + ":" + server.port());
    }

    /**
     * A list flag given an empty item ({@code --allow-origin ''}, {@code "$ORIGINS"} unset, {@code a,,b}) is refused as
     * {@code --token ''} is, not taken as none.
     *
     * @throws UserError "serve: --allow-origin is empty (an unset variable?): give an origin such as ..., or leave it out"
     */
    private static void notEmpty(String flag, List<String> items, String example) {
        if (items.stream().anyMatch(String::isBlank)) {
            throw new UserError("serve: " + flag + (items.size() == 1 ? " is empty" : " has an empty item")
                    + " (an unset variable?): give " + example + ", or leave out " + flag);
        }
    }

    private static List<String> trimmed(List<String> items) {
        return items.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * {@code --tls-cert} and {@code --tls-key} go together: a PEM certificate (chain) X.509 reads, and a PEM private key
     * (PKCS#8 {@code BEGIN PRIVATE KEY}, or PKCS#1 RSA / SEC1 EC, as Vert.x's {@code PemKeyCertOptions} takes).
     *
     * @throws UserError naming the flag and file that is missing, unreadable or not such a PEM file
     */
    private ServerConfig.Tls tls() {
        if (tlsCert == null && tlsKey == null) {
            return null;
        }
        if (tlsCert == null || tlsKey == null) {
            throw new UserError("serve: --tls-cert and --tls-key go together (PEM certificate and PEM private key)");
        }
        for (Path p : List.of(tlsCert, tlsKey)) {
            if (!Files.isReadable(p)) {
                throw new UserError("serve: cannot read " + p);
            }
        }
        try (var in = Files.newInputStream(tlsCert)) {
            if (java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new java.security.cert.CertificateException("no certificate");
            }
        } catch (java.io.IOException | java.security.cert.CertificateException e) {
            throw new UserError("serve: --tls-cert " + tlsCert + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        String key;
        try {
            key = Files.readString(tlsKey, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (java.io.IOException e) {
            throw new UserError("serve: cannot read " + tlsKey);
        }
        if (!java.util.regex.Pattern.compile("-----BEGIN (RSA |EC )?PRIVATE KEY-----").matcher(key).find()) {
            throw new UserError("serve: --tls-key " + tlsKey + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        return new ServerConfig.Tls(tlsCert, tlsKey);
    }

    /**
     * Starts a node, prints {@code ready} once it is, and runs until the JVM is told to stop (SIGTERM,
     * Ctrl-C): then it ends its runs, telling their clients, and leaves within a bounded time.
     */
    /** How long a server or worker may take to start, its warm-up ({@code WarmUp.BUDGET_NANOS}, 20 s) included. */
    private static final int START_SECONDS = 60;

    static int runUntilStopped(String command, ServerConfig config, FilterScopeServer.Roles roles,
                               java.util.function.Function<FilterScopeServer, String> ready) throws InterruptedException {
        FilterScopeServer server;
        String where = roles.front() ? " on " + config.host() + ":" + config.port() : "";
        if (roles.compute() && config.warmUp()) {
            // On standard error: standard output's first line stays the ready line scripts wait for. A newcomer's
            // fresh machine waited 43 s in silence for it.
            System.err.println(command + ": warming up before " + (roles.front() ? "listening" : "taking work")
                    + ": stepping each model's usual runs and scoring its default layer's example pictures, for at most "
                    + io.filterscope.server.compute.ComputeService.WARM_UP_SECONDS + " s once the device is measured"
                    + " (--no-warm-up skips it)");
            System.err.flush();
        }
        try {
            server = FilterScopeServer.start(config, roles).toCompletionStage().toCompletableFuture().get(START_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new UserError(command + ": cannot start" + where + ": not ready after " + START_SECONDS
                    + " s (reading the models folder and warming up; --no-warm-up skips the warm-up)");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new UserError(command + ": cannot start" + where + ": " + e.getCause().getMessage());
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
