package io.filterscope.server;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A WebSocket client for tests: collects text events and decoded binary frames, in arrival order. */
final class TestClient implements WebSocket.Listener, AutoCloseable {
    /** A decoded binary frame: its JSON header and the image bytes. */
    record Frame(JsonObject header, byte[] image) {
    }

    final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    final List<Object> all = new ArrayList<>();
    private final WebSocket socket;
    private StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

    private TestClient(URI uri, String origin) throws Exception {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (origin != null) {
            builder.header("Origin", origin);
        }
        socket = builder.buildAsync(uri, this).get(10, TimeUnit.SECONDS);
    }

    static TestClient connect(int port) throws Exception {
        return new TestClient(URI.create("ws://127.0.0.1:" + port + "/ws"), null);
    }

    static TestClient connect(URI uri, String origin) throws Exception {
        return new TestClient(uri, origin);
    }

    void send(JsonObject message) {
        socket.sendText(message.encode(), true).join();
    }

    void sendRaw(String text) {
        socket.sendText(text, true).join();
    }

    /** The next text event, waiting at most 30 s; frames received meanwhile are kept in {@link #all}. */
    JsonObject nextEvent(Predicate<JsonObject> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Object next = received.poll(100, TimeUnit.MILLISECONDS);
            if (next instanceof JsonObject event && wanted.test(event)) {
                return event;
            }
        }
        throw new AssertionError("no matching event within 30 s; received " + summary());
    }

    JsonObject nextEvent(String type) throws InterruptedException {
        return nextEvent(e -> type.equals(e.getString("type")));
    }

    /** Drops everything received so far (a long test would otherwise keep every frame). */
    synchronized void forgetReceived() {
        all.clear();
        received.clear();
    }

    synchronized List<Frame> frames(String run) {
        return all.stream().filter(o -> o instanceof Frame f && run.equals(f.header().getString("run")))
                .map(o -> (Frame) o).toList();
    }

    synchronized String summary() {
        return all.stream().map(o -> o instanceof Frame f ? "frame" + f.header().getInteger("step") : o.toString())
                .limit(40).toList().toString();
    }

    @Override
    public synchronized CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            JsonObject event = new JsonObject(text.toString());
            text = new StringBuilder();
            all.add(event);
            received.add(event);
        }
        ws.request(1);
        return null;
    }

    @Override
    public synchronized CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.writeBytes(chunk);
        if (last) {
            byte[] bytes = binary.toByteArray();
            binary = new java.io.ByteArrayOutputStream();
            int length = ByteBuffer.wrap(bytes, 0, 4).getInt();
            JsonObject header = new JsonObject(new String(bytes, 4, length, StandardCharsets.UTF_8));
            Frame frame = new Frame(header, java.util.Arrays.copyOfRange(bytes, 4 + length, bytes.length));
            all.add(frame);
            received.add(frame);
        }
        ws.request(1);
        return null;
    }

    CompletableFuture<WebSocket> closeSocket() {
        return socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }

    @Override
    public void close() {
        socket.abort();
    }

    // --- plain HTTP ---

    static HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A multipart POST with one file field. */
    static HttpResponse<byte[]> upload(int port, String path, String field, byte[] content) throws Exception {
        String boundary = "----filterscope" + System.nanoTime();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
                + "\"; filename=\"upload.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
    }
}
