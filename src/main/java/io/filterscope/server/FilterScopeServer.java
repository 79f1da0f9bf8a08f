package io.filterscope.server;

import io.filterscope.engine.Backend;
import io.filterscope.server.compute.ComputeVerticle;
import io.filterscope.server.dispatch.DispatchVerticle;
import io.filterscope.server.http.HttpVerticle;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.session.SessionVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * One node: a front (HTTP and page, WebSocket sessions, dispatch of computation), a compute worker, or
 * both. Alone, a node has both roles and a local event bus; in a cluster the same verticles talk over
 * Vert.x's clustered event bus.
 */
public final class FilterScopeServer {
    /** Which roles this node takes, and the cluster it joins (null: none, a single node). */
    public record Roles(boolean front, boolean compute, ClusterOptions cluster) {
        public static final Roles SINGLE_NODE = new Roles(true, true, null);

        public Roles {
            if (!front && !compute) {
                throw new IllegalArgumentException("a node needs at least one role");
            }
        }
    }

    private final Vertx vertx;
    private final HttpVerticle http;
    private final List<ComputeVerticle> compute;

    private FilterScopeServer(Vertx vertx, HttpVerticle http, List<ComputeVerticle> compute) {
        this.vertx = vertx;
        this.http = http;
        this.compute = compute;
    }

    public static Future<FilterScopeServer> start(ServerConfig config) {
        return start(config, Roles.SINGLE_NODE);
    }

    public static Future<FilterScopeServer> start(ServerConfig config, Roles roles) {
        Future<Vertx> started = roles.cluster() == null ? Future.succeededFuture(Vertx.vertx()) : roles.cluster().vertx();
        return started.compose(vertx -> {
            Protocol.registerCodecs(vertx.eventBus());
            HttpVerticle http = roles.front() ? new HttpVerticle(config) : null;
            String node = java.util.UUID.randomUUID().toString();
            List<ComputeVerticle> compute = new ArrayList<>();
            for (int device = 0; roles.compute() && device < Backend.deviceCount(); device++) {
                compute.add(new ComputeVerticle(config, device, node));
            }
            Future<String> deployed = Future.succeededFuture();
            for (ComputeVerticle worker : compute) {
                deployed = deployed.compose(id -> vertx.deployVerticle(worker,
                        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
            }
            if (roles.front()) {
                deployed = deployed.compose(id -> vertx.deployVerticle(new DispatchVerticle(node)))
                        .compose(id -> vertx.deployVerticle(new io.filterscope.server.replay.RunRecorder()))
                        .compose(id -> vertx.deployVerticle(new SessionVerticle(config.limits())))
                        .compose(id -> vertx.deployVerticle(http));
            }
            return deployed.map(id -> new FilterScopeServer(vertx, http, compute)).onFailure(e -> vertx.close());
        });
    }

    /** {@link #start(ServerConfig, Roles)}, waiting for it; a node that cannot start within a minute is an error. */
    public static FilterScopeServer startAndWait(ServerConfig config, Roles roles) throws Exception {
        return start(config, roles).toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** {@link #start}, waiting for it; a server that cannot start within a minute is an error. */
    public static FilterScopeServer startAndWait(ServerConfig config) throws Exception {
        return startAndWait(config, Roles.SINGLE_NODE);
    }

    /** {@link #close}, waiting for it (bounded). */
    public void closeAndWait() throws Exception {
        close().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** This node's compute workers (one per device; none on a node without the compute role). */
    public List<ComputeVerticle> workers() {
        return compute;
    }

    /** The ids of this node's compute workers (one per device; none on a node without the compute role). */
    public List<String> workerIds() {
        return compute.stream().map(ComputeVerticle::id).toList();
    }

    /** This node's Vert.x, for tests that listen on its event bus (a run's frames and events, as a front hears them). */
    public Vertx vertx() {
        return vertx;
    }

    /** The HTTP port, or -1 on a node without the front role. */
    public int port() {
        return http == null ? -1 : http.port();
    }

    /**
     * Ends every run (their clients get "done" with reason "stopped"), gives those messages a moment to
     * reach the sockets, then closes everything. Bounded: at most about {@link #CLOSE_GRACE_MS} plus the
     * worker's own shutdown.
     */
    public Future<Void> close() {
        Promise<Void> drained = Promise.promise();
        EventBusService.proxy(vertx, ComputeApi.Front.class, Addresses.COMPUTE, CLOSE_GRACE_MS).stopAll()
                .onComplete(r -> vertx.setTimer(DRAIN_MS, t -> drained.complete()));
        return drained.future().compose(v -> vertx.close());
    }

    static final long CLOSE_GRACE_MS = 5000;
    private static final long DRAIN_MS = 300;
}
