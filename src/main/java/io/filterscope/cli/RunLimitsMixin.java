package io.filterscope.cli;

import io.filterscope.server.ServerConfig;
import picocli.CommandLine.Option;

/** {@code --max-runs} and {@code --max-queue}: what one compute worker takes at once and keeps waiting. */
final class RunLimitsMixin {
    private static final ServerConfig.Limits D = ServerConfig.Limits.DEFAULT;

    @Option(names = "--max-runs", paramLabel = "N", description = "runs computing at once per device (default: ${DEFAULT-VALUE})")
    int maxRuns = D.activeRuns();

    @Option(names = "--max-queue", paramLabel = "N", description = "runs waiting per device (default: ${DEFAULT-VALUE})")
    int maxQueue = D.queuedRuns();

    ServerConfig.Limits limits(String command) {
        return D.withRuns(Cli.within(command, "--max-runs", maxRuns, 1, 1024), Cli.within(command, "--max-queue", maxQueue, 0, 100_000));
    }
}
