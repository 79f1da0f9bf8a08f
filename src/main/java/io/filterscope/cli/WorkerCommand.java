package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.ClusterOptions;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code worker --cluster}: a compute-only node. It joins the cluster, announces its device and models, and
 * runs whatever the front nodes send it; prints "worker ID ready" when it has joined (one id per device).
 */
@Command(name = "worker", mixinStandardHelpOptions = true, modelTransformer = LimitFlags.Worker.class,
        description = "A compute-only cluster node; prints 'worker ID ready (cluster H:P)' when it has joined.")
final class WorkerCommand implements Callable<Integer> {
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
        ServerConfig.Limits limits = LimitFlags.parse(spec, LimitFlags.WORKER);
        ClusterOptions cluster = clusterFlags.options("worker");
        if (cluster == null) {
            throw new UserError("worker: needs --cluster (a worker serves front nodes over the cluster; "
                    + "for one machine use serve)");
        }
        models.store();
        ServerConfig config = ServerConfig.defaults(models.dir()).withLimits(limits).withWarmUp(!warmUp.skip);
        return ServeCommand.runUntilStopped("worker", config, new FilterScopeServer.Roles(false, true, cluster),
                server -> "worker " + String.join(" ", server.workerIds()) + " ready (cluster " + cluster.host()
                        + (cluster.port() > 0 ? ":" + cluster.port() : "") + ")");
    }
}
