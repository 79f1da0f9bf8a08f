package io.filterscope.server;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A client at a loopback address of its own (127.0.0.N; Linux routes all of 127/8 to the loopback), since
 * the server tells clients apart by address. Blocking helpers, every wait bounded.
 */
final class Peer implements AutoCloseable {
    private static final long WAIT_S = 60;
    final String address;
    private final HttpClient http;
    private final WebSocketClient webSockets;
    /** Seconds an answer to a request or a connection is waited for. */
    private final long waitS;

    Peer(Vertx vertx, String address) {
        this(vertx, address, WAIT_S);
    }

    /** @param waitS seconds to wait for an answer or a connection, at most */
    Peer(Vertx vertx, String address, long waitS) {
        this.address = address;
        this.waitS = waitS;
        this.http = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(address).setKeepAlive(false));
        this.webSockets = vertx.createWebSocketClient(new WebSocketClientOptions().setLocalAddress(address)
                .setMaxConnections(1000));
    }

    record Response(int status, MultiMap headers, Buffer body) {
        JsonObject json() {
            return body.toJsonObject();
        }

        String error() {
            return json().getJsonObject("error").getString("code");
        }
    }

    Response get(int port, String path) throws Exception {
        return send(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path), null, Map.of());
    }

    Response get(int port, String path, Map<String, String> headers) throws Exception {
        return send(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path), null, headers);
    }

    Response head(int port, String path) throws Exception {
        return send(new RequestOptions().setMethod(HttpMethod.HEAD).setHost("127.0.0.1").setPort(port).setURI(path), null, Map.of());
    }

    /** A multipart POST with each of the files as a field named {@code image} (a client should send one). */
    Response upload(int port, String path, byte[]... images) throws Exception {
        String boundary = "----peer" + System.nanoTime();
        Buffer body = Buffer.buffer();
        for (byte[] image : images) {
            body.appendString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; "
                    + "filename=\"upload.png\"\r\nContent-Type: application/octet-stream\r\n\r\n").appendBytes(image).appendString("\r\n");
        }
        body.appendString("--" + boundary + "--\r\n");
        return send(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(path),
                body, Map.of("Content-Type", "multipart/form-data; boundary=" + boundary));
    }

    Response post(int port, String path, String contentType, Buffer body) throws Exception {
        return send(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(path),
                body, Map.of("Content-Type", contentType));
    }

    private Response send(RequestOptions options, Buffer body, Map<String, String> headers) throws Exception {
        headers.forEach(options::putHeader);
        return http.request(options)
                .compose(r -> (body == null ? r.send() : r.send(body)).compose(resp -> resp.body()
                        .map(b -> new Response(resp.statusCode(), resp.headers(), b))))
                .toCompletionStage().toCompletableFuture().get(waitS, TimeUnit.SECONDS);
    }

    Socket connect(int port) throws Exception {
        return connect(port, Map.of());
    }

    Socket connect(int port, Map<String, String> headers) throws Exception {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws");
        headers.forEach(options::addHeader);
        return new Socket(webSockets.connect(options).toCompletionStage().toCompletableFuture().get(waitS, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        http.close();
        webSockets.close();
    }

    /** An open WebSocket: text events queue up; binary frames are counted, the latest header kept. */
    static final class Socket implements AutoCloseable {
        final WebSocket ws;
        final LinkedBlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
        private final java.util.List<JsonObject> skipped = new java.util.ArrayList<>();
        final AtomicInteger frames = new AtomicInteger();
        volatile JsonObject lastFrame;
        final LinkedBlockingQueue<Short> closed = new LinkedBlockingQueue<>();

        Socket(WebSocket ws) {
            this.ws = ws;
            ws.textMessageHandler(t -> events.add(new JsonObject(t)));
            ws.binaryMessageHandler(b -> {
                int length = b.getInt(0);
                lastFrame = new JsonObject(b.getString(4, 4 + length, StandardCharsets.UTF_8.name()));
                frames.incrementAndGet();
            });
            ws.closeHandler(v -> closed.add(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode()));
        }

        void send(JsonObject message) {
            ws.writeTextMessage(message.encode());
        }

        /** The first event, received or to come (within a minute), that {@code wanted} accepts; the others stay for later. */
        JsonObject next(Predicate<JsonObject> wanted) throws InterruptedException {
            return next(wanted, WAIT_S);
        }

        /** As {@link #next(Predicate)}, waiting up to {@code seconds}. */
        JsonObject next(Predicate<JsonObject> wanted, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (java.util.Iterator<JsonObject> it = skipped.iterator(); it.hasNext(); ) {
                JsonObject e = it.next();
                if (wanted.test(e)) {
                    it.remove();
                    return e;
                }
            }
            while (System.nanoTime() < deadline) {
                JsonObject e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && wanted.test(e)) {
                    return e;
                } else if (e != null) {
                    skipped.add(e);
                }
            }
            throw new AssertionError("no matching event within " + seconds + " s; got " + skipped);
        }

        JsonObject next(String type) throws InterruptedException {
            return next(e -> type.equals(e.getString("type")));
        }

        /** The close code the server sent, waiting for it. */
        short closeCode() throws InterruptedException {
            Short code = closed.poll(WAIT_S, TimeUnit.SECONDS);
            if (code == null) {
                throw new AssertionError("the server did not close the socket");
            }
            return code;
        }

        @Override
        public void close() {
            ws.close();
        }
    }

    /** The start message of a run of {@code model}'s channel {@code filter} of {@code layer}. */
    static JsonObject start(String model, String layer, int filter, int steps, Object tag) {
        return new JsonObject().put("op", "start").put("model", model)
                .put("objective", new JsonObject().put("type", "channel").put("layer", layer).put("filter", filter))
                .put("steps", steps).put("tag", tag);
    }
}
