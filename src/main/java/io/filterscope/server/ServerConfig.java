package io.filterscope.server;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * How a server is set up. {@code token} null means no authentication; {@code allowedOrigins} are origins
 * besides the server's own whose pages may open the WebSocket; {@code allowedHosts} are host names besides
 * the bound host that requests may name in their Host header when no token is set (DNS rebinding);
 * {@code tls} null means plain HTTP; {@code warmUp} whether compute workers warm their models' usual paths before
 * they take work (a few seconds; {@code serve} and {@code worker} do unless told {@code --no-warm-up}, tests do not).
 */
public record ServerConfig(String host, int port, Path models, String token, List<String> allowedOrigins,
                           List<String> allowedHosts, Limits limits, Tls tls, boolean warmUp) {

    /** PEM files of the server's certificate (chain) and its private key. */
    public record Tls(Path certificate, Path key) {
    }

    /**
     * What one GPU box shared by a class can take: a value for every {@link Limit}, its default unless set.
     * The named accessors read the limits the code uses most.
     */
    public record Limits(Map<Limit, Long> values) {
        public static final Limits DEFAULT = new Limits(Map.of());

        public Limits {
            EnumMap<Limit, Long> all = new EnumMap<>(Limit.class);
            for (Limit l : Limit.values()) {
                all.put(l, values.getOrDefault(l, l.defaultValue));
            }
            values = java.util.Collections.unmodifiableMap(all);
        }

        public long get(Limit limit) {
            return values.get(limit);
        }

        /** As an int, for limits bounded well below 2^31. */
        public int count(Limit limit) {
            return Math.toIntExact(values.get(limit));
        }

        public Limits with(Limit limit, long value) {
            EnumMap<Limit, Long> changed = new EnumMap<>(values);
            changed.put(limit, value);
            return new Limits(changed);
        }

        public int activeRuns() {
            return count(Limit.ACTIVE_RUNS);
        }

        public int queuedRuns() {
            return count(Limit.QUEUED_RUNS);
        }

        public int runsPerConnection() {
            return count(Limit.RUNS_PER_CONNECTION);
        }

        public int connections() {
            return count(Limit.CONNECTIONS);
        }

        public int messagesPerSecond() {
            return count(Limit.MESSAGES_PER_SECOND);
        }

        public int uploadBytes() {
            return count(Limit.UPLOAD_BYTES);
        }

        public int uploadPixels() {
            return count(Limit.IMAGE_PIXELS);
        }

        public Limits withRuns(int active, int queued) {
            return with(Limit.ACTIVE_RUNS, active).with(Limit.QUEUED_RUNS, queued);
        }

        public Limits withConnections(int perConnectionRuns, int sockets, int perSecond) {
            return with(Limit.RUNS_PER_CONNECTION, perConnectionRuns).with(Limit.CONNECTIONS, sockets)
                    .with(Limit.MESSAGES_PER_SECOND, perSecond);
        }

        public Limits withUploads(int bytes, int pixels) {
            return with(Limit.UPLOAD_BYTES, bytes).with(Limit.IMAGE_PIXELS, pixels);
        }

        /**
         * No per-client shares: every limit that tells clients apart set to its maximum. For tests and benches
         * whose many clients all come from 127.0.0.1.
         */
        public Limits withoutClientShares() {
            return with(Limit.RUNS_PER_CLIENT, Limit.RUNS_PER_CLIENT.max).with(Limit.SOCKETS_PER_CLIENT, Limit.SOCKETS_PER_CLIENT.max)
                    .with(Limit.CONNECTIONS_PER_CLIENT, Limit.CONNECTIONS_PER_CLIENT.max)
                    .with(Limit.REQUESTS_PER_SECOND, Limit.REQUESTS_PER_SECOND.max);
        }
    }

    public static ServerConfig defaults(Path models) {
        return new ServerConfig("127.0.0.1", 8080, models, null, List.of(), List.of(), Limits.DEFAULT, null, false);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, models, token, allowedOrigins, allowedHosts, limits, tls, warmUp);
    }

    public ServerConfig withToken(String t) {
        return new ServerConfig(host, port, models, t, allowedOrigins, allowedHosts, limits, tls, warmUp);
    }

    public ServerConfig withLimits(Limits l) {
        return new ServerConfig(host, port, models, token, allowedOrigins, allowedHosts, l, tls, warmUp);
    }

    public ServerConfig withTls(Tls t) {
        return new ServerConfig(host, port, models, token, allowedOrigins, allowedHosts, limits, t, warmUp);
    }

    public ServerConfig withWarmUp(boolean w) {
        return new ServerConfig(host, port, models, token, allowedOrigins, allowedHosts, limits, tls, w);
    }

    public ServerConfig withAllowedHosts(List<String> hosts) {
        return new ServerConfig(host, port, models, token, allowedOrigins, hosts, limits, tls, warmUp);
    }
}
