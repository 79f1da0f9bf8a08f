package io.filterscope.server;

import java.nio.file.Path;
import java.util.List;

/**
 * How a server is set up. {@code token} null means no authentication; {@code allowedOrigins} are origins
 * besides the server's own whose pages may open the WebSocket.
 */
public record ServerConfig(String host, int port, Path models, String token, List<String> allowedOrigins,
                           int maxActiveRuns, int maxQueuedRuns, int maxUploadBytes, int maxUploadPixels) {

    public static ServerConfig defaults(Path models) {
        return new ServerConfig("127.0.0.1", 8080, models, null, List.of(), 4, 32, 10 * 1024 * 1024, 40_000_000);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, models, token, allowedOrigins, maxActiveRuns, maxQueuedRuns, maxUploadBytes, maxUploadPixels);
    }

    public ServerConfig withToken(String t) {
        return new ServerConfig(host, port, models, t, allowedOrigins, maxActiveRuns, maxQueuedRuns, maxUploadBytes, maxUploadPixels);
    }
}
