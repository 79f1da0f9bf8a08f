package io.filterscope.model.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file server on 127.0.0.1 for download tests: serves byte arrays by name, answers Range requests with 206
 * (unless told to ignore them), and can misbehave on purpose: drop the connection part way through the
 * first answer, or send part of a file and then go silent. It records every request's Range header and
 * counts the body bytes it sent.
 */
public final class FixtureServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final CountDownLatch released = new CountDownLatch(1);
    /** "NAME RANGE" per request, RANGE "-" when the request had none. */
    public final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    public final AtomicLong bodyBytesSent = new AtomicLong();
    /** When positive, the next answer stops after this many body bytes and the connection is closed. */
    public volatile long dropAfter = -1;
    /** When positive, the next answer stops after this many body bytes and the server then says nothing. */
    public volatile long stallAfter = -1;
    public volatile boolean ignoreRange;
    /** Names answered with a redirect: name to (status, Location as sent). */
    public final Map<String, Map.Entry<Integer, String>> redirects = new ConcurrentHashMap<>();

    public FixtureServer() throws IOException {
        this(null);
    }

    /** With {@code tls}, an HTTPS server presenting that context's certificate. */
    public FixtureServer(javax.net.ssl.SSLContext tls) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(loopback, 0);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(loopback, 0);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            server = https;
        }
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    public String baseUrl() {
        return (server instanceof com.sun.net.httpserver.HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
    }

    public void put(String name, byte[] bytes) {
        files.put(name, bytes);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String name = exchange.getRequestURI().getPath().substring(1);
        String range = exchange.getRequestHeaders().getFirst("Range");
        requests.add(name + " " + (range == null ? "-" : range));
        Map.Entry<Integer, String> redirect = redirects.get(name);
        if (redirect != null) {
            exchange.getResponseHeaders().set("Location", redirect.getValue());
            exchange.sendResponseHeaders(redirect.getKey(), -1);
            exchange.close();
            return;
        }
        byte[] body = files.get(name);
        if (body == null) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        int from = 0;
        int status = 200;
        Matcher m = range == null || ignoreRange ? null : RANGE.matcher(range);
        if (m != null && m.matches()) {
            from = Integer.parseInt(m.group(1));
            if (from >= body.length) {
                exchange.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                exchange.sendResponseHeaders(416, -1);
                exchange.close();
                return;
            }
            status = 206;
            exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        exchange.sendResponseHeaders(status, body.length - from);
        OutputStream out = exchange.getResponseBody();
        long drop = dropAfter;
        long stall = stallAfter;
        dropAfter = -1;
        stallAfter = -1;
        long cut = drop > 0 ? drop : stall > 0 ? stall : body.length - from;
        int n = (int) Math.min(cut, body.length - from);
        // Counted before writing: the client may have read every byte before this thread runs on after the flush.
        bodyBytesSent.addAndGet(n);
        out.write(body, from, n);
        out.flush();
        if (stall > 0) {
            try {
                released.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Short of the promised length, closing drops the connection.
        exchange.close();
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        threads.shutdownNow();
    }

    /** A server that accepts connections and never says a word. */
    public static final class Silent implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
        private final Thread acceptor;

        public Silent() throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(socket.accept());
                    }
                } catch (IOException closed) {
                    // closed by close()
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        public String baseUrl() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }

    /** An address on 127.0.0.1 where nothing listens (a port that was free a moment ago). */
    public static String nothingListening() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }
}
