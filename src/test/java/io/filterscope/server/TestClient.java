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
import java.util.Map;
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

    /** Completes with the close code when the server closes the socket (or -1 when the connection breaks). */
    final CompletableFuture<Integer> closedByServer = new CompletableFuture<>();

    private TestClient(URI uri, Map<String, String> headers) throws Exception {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(builder::header);
        socket = builder.buildAsync(uri, this).get(10, TimeUnit.SECONDS);
    }

    static TestClient connect(int port) throws Exception {
        return new TestClient(URI.create("ws://127.0.0.1:" + port + "/ws"), Map.of());
    }

    static TestClient connect(URI uri, String origin) throws Exception {
        return new TestClient(uri, origin == null ? Map.of() : Map.of("Origin", origin));
    }

    static TestClient connectWith(URI uri, Map<String, String> headers) throws Exception {
        return new TestClient(uri, headers);
    }

    /**
     * The HTTP status the server answers a WebSocket upgrade of {@code uri} with these headers: 101 when it
     * accepts (the socket is then closed again), else the refusal's status. A connection that fails in any
     * other way (refused, timed out) is an error, not a status.
     */
    static int upgradeStatus(URI uri, Map<String, String> headers) throws Exception {
        try {
            new TestClient(uri, headers).close();
            return 101;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
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

    /** Waits at most 30 s, without polling, until {@code condition} holds for everything received so far, in order. */
    synchronized void await(Predicate<List<Object>> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.test(all)) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new AssertionError("not within 30 s: " + what + "; received " + summary());
            }
            wait(left);
        }
    }

    /** Waits until a frame of {@code run} with at least this step has arrived. */
    void awaitStep(String run, int step) throws InterruptedException {
        await(all -> all.stream().anyMatch(o -> o instanceof Frame f && run.equals(f.header().getString("run"))
                && f.header().getInteger("step") >= step), "a frame of " + run + " at step " + step);
    }

    /** The highest step among the frames of {@code run} received so far (0 if none). */
    synchronized int latestStep(String run) {
        return frames(run).stream().mapToInt(f -> f.header().getInteger("step")).max().orElse(0);
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
            notifyAll();
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
            notifyAll();
        }
        ws.request(1);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closedByServer.complete(-1);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        closedByServer.complete(statusCode);
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
