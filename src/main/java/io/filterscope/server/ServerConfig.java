package io.filterscope.server;

import java.nio.file.Path;
import java.util.List;

/**
 * How a server is set up. {@code token} null means no authentication; {@code allowedOrigins} are origins
 * besides the server's own whose pages may open the WebSocket; {@code tls} null means plain HTTP.
 */
public record ServerConfig(String host, int port, Path models, String token, List<String> allowedOrigins, Limits limits,
                           Tls tls) {

    /** PEM files of the server's certificate (chain) and its private key. */
    public record Tls(Path certificate, Path key) {
    }

    /**
     * What one GPU box shared by a class can take: runs on the device at once and waiting, runs one
     * connection may own, open WebSockets, messages per second per socket, and upload size.
     */
    public record Limits(int activeRuns, int queuedRuns, int runsPerConnection, int connections, int messagesPerSecond,
                         int uploadBytes, int uploadPixels) {
        public static final Limits DEFAULT = new Limits(4, 32, 8, 256, 50, 10 * 1024 * 1024, 40_000_000);

        public Limits withRuns(int active, int queued) {
            return new Limits(active, queued, runsPerConnection, connections, messagesPerSecond, uploadBytes, uploadPixels);
        }

        public Limits withConnections(int perConnectionRuns, int sockets, int perSecond) {
            return new Limits(activeRuns, queuedRuns, perConnectionRuns, sockets, perSecond, uploadBytes, uploadPixels);
        }

        public Limits withUploads(int bytes, int pixels) {
            return new Limits(activeRuns, queuedRuns, runsPerConnection, connections, messagesPerSecond, bytes, pixels);
        }
    }

    public static ServerConfig defaults(Path models) {
        return new ServerConfig("127.0.0.1", 8080, models, null, List.of(), Limits.DEFAULT, null);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, models, token, allowedOrigins, limits, tls);
    }

    public ServerConfig withToken(String t) {
        return new ServerConfig(host, port, models, t, allowedOrigins, limits, tls);
    }

    public ServerConfig withLimits(Limits l) {
        return new ServerConfig(host, port, models, token, allowedOrigins, l, tls);
    }

    public ServerConfig withTls(Tls t) {
        return new ServerConfig(host, port, models, token, allowedOrigins, limits, t);
    }
}
