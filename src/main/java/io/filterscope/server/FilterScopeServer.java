package io.filterscope.server;

import io.filterscope.server.compute.ComputeVerticle;
import io.filterscope.server.http.HttpVerticle;
import io.filterscope.server.session.SessionVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
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

    public int port() {
        return http.port();
    }

    /** Stops accepting, ends every run (clients get "done" with reason "stopped"), then closes. */
    public Future<Void> close() {
        return vertx.close();
    }
}
