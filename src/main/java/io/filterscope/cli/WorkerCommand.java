package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.ClusterOptions;
import io.filterscope.server.FilterScopeServer;
import io.filterscope.server.ServerConfig;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code worker --cluster}: a compute-only node. It joins the cluster, announces its device and models, and
 * runs whatever the front nodes send it; prints "worker ID ready" when it has joined (one id per device).
 */
final class WorkerCommand {
    private WorkerCommand() {
    }

    static int run(String[] args) throws InterruptedException {
        Set<String> valued = new HashSet<>(Set.of("models"));
        valued.addAll(LimitFlags.names(LimitFlags.WORKER));
        valued.addAll(ClusterFlags.VALUES);
        Flags flags = Flags.parse("worker", args, valued, Set.of("cluster"));
        ClusterOptions cluster = ClusterFlags.parse("worker", flags);
        if (cluster == null) {
            throw new UserError("worker: needs --cluster (a worker serves front nodes over the cluster; "
                    + "for one machine use serve)");
        }
        ServerConfig config = ServerConfig.defaults(flags.path("models", "models")).withLimits(LimitFlags.parse("worker", flags, LimitFlags.WORKER));
        return ServeCommand.runUntilStopped("worker", config, new FilterScopeServer.Roles(false, true, cluster),
                server -> "worker " + String.join(" ", server.workerIds()) + " ready (cluster " + cluster.host() + (cluster.port() > 0 ? ":" + cluster.port() : "") + ")");
    }
}
