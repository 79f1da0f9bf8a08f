package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Over the real WebSocket: a client whose run waits for its model's first read, its layer's first measures and its
 * network's compile hears why ({@code preparing}, with the start's tag), before its {@code started}; a later start that
 * needs none of them hears nothing of the kind.
 */
class PreparingOverWebSocketTest {
    private static FilterScopeServer server;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(Path.of("models")).withPort(0));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    @Test
    void aStartThatWaitsForItsModelAndNetworkIsToldWhy() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(server.port())) {
            socket.send(Peer.start("mnist-cnn", "conv2", 0, 5, "first"));
            assertEquals(List.of("preparing loading model mnist-cnn first",
                    "preparing scoring mnist-cnn's example pictures at conv2 (a layer's first run) first",
                    "preparing compiling mnist-cnn for 1 image of 28 px first", "started first"), eventsUntilStarted(socket));
            socket.next("done");
            socket.send(Peer.start("mnist-cnn", "conv2", 1, 5, "again"));
            assertEquals(List.of("started again"), eventsUntilStarted(socket), "its model is read and its network idle: no wait");
            socket.next("done");
        }
    }

    /** The run's events up to its "started", as "TYPE [REASON] TAG". */
    private static List<String> eventsUntilStarted(Peer.Socket socket) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        JsonObject e;
        do {
            e = socket.next(m -> List.of("preparing", "queued", "started", "error").contains(m.getString("type")));
            seen.add(e.getString("type") + (e.containsKey("reason") ? " " + e.getString("reason") : "") + " " + e.getValue("tag"));
        } while (!"started".equals(e.getString("type")) && !"error".equals(e.getString("type")));
        return seen;
    }
}
