package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.ClusterOptions;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The flags shared by {@code serve --cluster} and {@code worker --cluster}, each with an environment
 * variable for containers: {@code --cluster} (FILTERSCOPE_CLUSTER=1), {@code --cluster-host}
 * (FILTERSCOPE_CLUSTER_HOST), {@code --cluster-port} (FILTERSCOPE_CLUSTER_PORT), {@code --join H:P[,H:P...]}
 * (FILTERSCOPE_JOIN).
 */
final class ClusterMixin {
    @Option(names = "--cluster", description = "join a cluster of nodes over Vert.x's clustered event bus (or FILTERSCOPE_CLUSTER=1)")
    boolean cluster;

    @Option(names = "--cluster-host", paramLabel = "H", description = "the address other nodes reach this one at (default 127.0.0.1)")
    String host;

    @Option(names = "--cluster-port", paramLabel = "P", description = "this node's Hazelcast member port (default 5701 and up)")
    @Bounds(min = 1, max = 65535)
    Integer port;

    @Option(names = "--join", paramLabel = "H:P", split = ",", description = "members to join over TCP-IP; this node may be among them")
    List<String> join;

    /** The cluster to join, or null without {@code --cluster} (then the other cluster flags are mistakes). */
    ClusterOptions options(String command) {
        if (!cluster && env("FILTERSCOPE_CLUSTER") == null) {
            if (host != null || port != null || join != null) {
                throw new UserError(command + ": --" + (host != null ? "cluster-host" : port != null ? "cluster-port" : "join")
                        + " needs --cluster");
            }
            return null;
        }
        String h = host != null ? host : env("FILTERSCOPE_CLUSTER_HOST") != null ? env("FILTERSCOPE_CLUSTER_HOST") : "127.0.0.1";
        int p = port != null ? port : env("FILTERSCOPE_CLUSTER_PORT") == null ? 0 : parsePort(command, env("FILTERSCOPE_CLUSTER_PORT"));
        if (p != 0) {
            Cli.within(command, this, "--cluster-port", p);
        }
        List<String> members = join != null ? join
                : List.of(env("FILTERSCOPE_JOIN") == null ? new String[0] : env("FILTERSCOPE_JOIN").split(","));
        members = members.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String member : members) {
            if (!member.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
                throw new UserError(command + ": --join takes HOST:PORT[,HOST:PORT...], got '" + member + "'");
            }
        }
        return new ClusterOptions(h, p, members);
    }

    private static int parsePort(String command, String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new UserError(command + ": FILTERSCOPE_CLUSTER_PORT must be a port number (1-65535), got '" + text + "'");
        }
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : v;
    }
}
