package io.filterscope.server.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The HTTP server's open connections by client (IP address). A client's connections beyond its share are
 * closed as they arrive, and a connection must send each request's head and body within the request
 * timeout, so that half-sent requests (slowloris) cannot hold file descriptors before any token is checked.
 * Runs on the HTTP verticle's event loop.
 */
final class Connections {
    private final Vertx vertx;
    private final int perClient;
    private final long timeoutMs;
    private final Map<String, Integer> byClient = new HashMap<>();
    /** Open connections by their peer's address and port (what a WebSocket handshake knows of its connection). */
    private final Map<String, HttpConnection> open = new HashMap<>();
    /** The timer that closes a connection if its request does not arrive in time, by peer. */
    private final Map<String, Long> deadlines = new HashMap<>();

    Connections(Vertx vertx, int perClient, long timeoutMs) {
        this.vertx = vertx;
        this.perClient = perClient;
        this.timeoutMs = timeoutMs;
    }

    /** The client (IP address) at a peer address, "" when unknown. */
    static String clientOf(SocketAddress peer) {
        return peer == null || peer.host() == null ? "" : peer.host();
    }

    private static String key(SocketAddress peer) {
        return peer == null ? "" : peer.host() + " " + peer.port();
    }

    /** A new connection: counted, and closed at once if its client has its share open already. */
    void opened(HttpConnection c) {
        SocketAddress address = c.remoteAddress();
        int count = byClient.merge(clientOf(address), 1, Integer::sum);
        open.put(key(address), c);
        c.closeHandler(v -> closed(address));
        if (count > perClient) {
            c.close();
        } else {
            awaitRequest(c);
        }
    }

    /** The next request's head must arrive within the timeout. */
    void awaitRequest(HttpConnection c) {
        String peer = key(c.remoteAddress());
        cancel(peer);
        deadlines.put(peer, vertx.setTimer(timeoutMs, id -> {
            deadlines.remove(peer);
            c.close();
        }));
    }

    /** A request's head arrived: its body must be in within the timeout (its answer may take longer). */
    void requestStarted(HttpServerRequest request) {
        HttpConnection c = request.connection();
        String peer = key(c.remoteAddress());
        cancel(peer);
        deadlines.put(peer, vertx.setTimer(timeoutMs, id -> {
            deadlines.remove(peer);
            if (!request.isEnded()) {
                c.close();
            }
        }));
    }

    /** The connection of this peer became a WebSocket: from now on the idle timeout and pings watch it. */
    void upgraded(SocketAddress peer) {
        cancel(key(peer));
    }

    /**
     * The connection of this peer closed: no longer counted against its client (once, however often it is told). A
     * connection that became a WebSocket is told by the socket's close: Vert.x does not call the connection's close
     * handler then, and its count stayed, so a client that opened and closed 32 sockets was refused everything after.
     */
    void closed(SocketAddress address) {
        String peer = key(address);
        cancel(peer);
        if (open.remove(peer) != null) {
            byClient.computeIfPresent(clientOf(address), (k, n) -> n > 1 ? n - 1 : null);
        }
    }

    private void cancel(String peer) {
        Long timer = deadlines.remove(peer);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    /** Connections open now, all clients together. */
    int open() {
        return open.size();
    }
}
