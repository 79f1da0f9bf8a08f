package io.filterscope.server;

import io.filterscope.server.compute.ComputeVerticle;
import io.filterscope.server.http.HttpVerticle;
import io.filterscope.server.session.SessionVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;

/** One node with all three roles (compute worker, sessions, HTTP and page) in one JVM. */
public final class FilterScopeServer {
    private final Vertx vertx;
    private final HttpVerticle http;

    private FilterScopeServer(Vertx vertx, HttpVerticle http) {
        this.vertx = vertx;
        this.http = http;
    }

    public static Future<FilterScopeServer> start(ServerConfig config) {
        Vertx vertx = Vertx.vertx();
        HttpVerticle http = new HttpVerticle(config);
        return vertx.deployVerticle(new ComputeVerticle(config), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
                .compose(id -> vertx.deployVerticle(new SessionVerticle(config.limits().runsPerConnection())))
                .compose(id -> vertx.deployVerticle(http))
                .map(id -> new FilterScopeServer(vertx, http))
                .onFailure(e -> vertx.close());
    }

    /** {@link #start}, waiting for it; a server that cannot start within a minute is an error. */
    public static FilterScopeServer startAndWait(ServerConfig config) throws Exception {
        return start(config).toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** {@link #close}, waiting for it (bounded). */
    public void closeAndWait() throws Exception {
        close().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    public int port() {
        return http.port();
    }

    /**
     * Ends every run (their clients get "done" with reason "stopped"), gives those messages a moment to
     * reach the sockets, then closes everything. Bounded: at most about {@link #CLOSE_GRACE_MS} plus the
     * worker's own shutdown.
     */
    public Future<Void> close() {
        Promise<Void> drained = Promise.promise();
        vertx.eventBus().request(Addresses.COMPUTE, new io.vertx.core.json.JsonObject().put("action", "stop-all"),
                        new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(CLOSE_GRACE_MS))
                .onComplete(r -> vertx.setTimer(DRAIN_MS, t -> drained.complete()));
        return drained.future().compose(v -> vertx.close());
    }

    static final long CLOSE_GRACE_MS = 5000;
    private static final long DRAIN_MS = 300;
}
