package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.server.ClusterOptions;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The flags shared by {@code serve --cluster} and {@code worker --cluster}, each with an environment
 * variable for containers: {@code --cluster-host} (FILTERSCOPE_CLUSTER_HOST), {@code --cluster-port}
 * (FILTERSCOPE_CLUSTER_PORT), {@code --join H:P[,H:P...]} (FILTERSCOPE_JOIN).
 */
final class ClusterFlags {
    static final Set<String> VALUES = Set.of("cluster-host", "cluster-port", "join");

    private ClusterFlags() {
    }

    /** The cluster to join, or null without {@code --cluster} (then the other cluster flags are mistakes). */
    static ClusterOptions parse(String command, Flags flags) {
        boolean clustered = flags.has("cluster") || env("FILTERSCOPE_CLUSTER") != null;
        if (!clustered) {
            for (String name : VALUES) {
                if (flags.has(name)) {
                    throw new UserError(command + ": --" + name + " needs --cluster");
                }
            }
            return null;
        }
        String host = flags.string("cluster-host", env("FILTERSCOPE_CLUSTER_HOST") == null ? "127.0.0.1" : env("FILTERSCOPE_CLUSTER_HOST"));
        String portText = flags.string("cluster-port", env("FILTERSCOPE_CLUSTER_PORT"));
        int port = portText == null ? 0 : port(command, portText.trim());
        String joinList = flags.string("join", env("FILTERSCOPE_JOIN") == null ? "" : env("FILTERSCOPE_JOIN"));
        List<String> join = Arrays.stream(joinList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String member : join) {
            if (!member.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
                throw new UserError(command + ": --join takes HOST:PORT[,HOST:PORT...], got '" + member + "'");
            }
        }
        return new ClusterOptions(host, port, join);
    }

    private static int port(String command, String text) {
        if (text.matches("\\d{1,5}") && Integer.parseInt(text) >= 1 && Integer.parseInt(text) <= 65535) {
            return Integer.parseInt(text);
        }
        throw new UserError(command + ": --cluster-port must be a port number (1-65535), got '" + text + "'");
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : v;
    }
}
