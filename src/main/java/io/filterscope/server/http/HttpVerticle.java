package io.filterscope.server.http;

import io.filterscope.engine.Backend;
import io.filterscope.engine.preset.Schema;
import io.filterscope.model.ModelStore;
import io.filterscope.quality.GalleryLegend;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.filterscope.server.protocol.Answers;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CSPHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.XFrameHandler;
import io.vertx.ext.web.templ.thymeleaf.ThymeleafTemplateEngine;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP and page role: the explorer page, the JSON API, and the WebSocket transport. It checks the
 * token, the Host (without a token) and the Origin, keeps each client (IP address) to its share of
 * connections, sockets and requests, relays what clients send to the session verticle, and writes what the
 * session verticle sends back; a socket whose client cannot keep up skips intermediate frames, never a last one.
 */
public final class HttpVerticle extends AbstractVerticle {
    /** Largest WebSocket message a client may send. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** Frames buffered for one socket before intermediate frames are dropped. */
    static final int MAX_BUFFERED_BYTES = 512 * 1024;
    static final int SEND_BUFFER_BYTES = 256 * 1024;
    /** A client may send this many seconds' worth of API requests at once (the page's activation maps come in a burst). */
    static final int REQUEST_BURST_SECONDS = 5;
    /** A multipart upload holds one field (the image); a few more are tolerated, not hundreds. */
    static final int MAX_FORM_FIELDS = 8;
    /** The settings schema and what a gallery's marks mean, the same for every request. */
    private static final String PARAMS = Schema.json().set("legend", GalleryLegend.json()).toString();

    private final ServerConfig config;
    private final Auth auth;
    private ComputeApi.Front compute;
    private HttpServer server;
    private Connections connections;
    private Uploads uploads;
    private RateLimit.PerKey requestRates;
    /** Open WebSockets, in all and by client, counted on this verticle's event loop. */
    private int sockets;
    private final Map<String, Integer> socketsByClient = new HashMap<>();

    public HttpVerticle(ServerConfig config) {
        this.config = config;
        this.auth = new Auth(config.token(), config.allowedOrigins(), config.host(), config.allowedHosts());
    }

    public int port() {
        return server.actualPort();
    }

    @Override
    public void start(Promise<Void> started) throws java.io.IOException {
        compute = EventBusService.proxy(vertx, ComputeApi.Front.class, Addresses.COMPUTE, ComputeApi.TIMEOUT_MS);
        ServerConfig.Limits limits = config.limits();
        connections = new Connections(vertx, limits.count(Limit.CONNECTIONS_PER_CLIENT),
                TimeUnit.SECONDS.toMillis(limits.get(Limit.REQUEST_TIMEOUT)));
        uploads = Uploads.create(vertx, 2 * TimeUnit.SECONDS.toMillis(limits.get(Limit.REQUEST_TIMEOUT)));
        requestRates = new RateLimit.PerKey(limits.count(Limit.REQUESTS_PER_SECOND),
                REQUEST_BURST_SECONDS * limits.count(Limit.REQUESTS_PER_SECOND));
        vertx.setPeriodic(10_000, t -> requestRates.forgetQuiet(System.nanoTime()));

        Router router = Router.router(vertx);
        ThymeleafTemplateEngine templates = ThymeleafTemplateEngine.create(vertx);
        router.route().handler(this::checkHost);
        router.route().handler(CSPHandler.create().setDirective("default-src", "'self'").addDirective("img-src", "'self' data: blob:")
                .addDirective("connect-src", "'self' data:").addDirective("object-src", "'none'")
                .addDirective("base-uri", "'none'").addDirective("form-action", "'self'").addDirective("frame-ancestors", "'none'"));
        router.route().handler(XFrameHandler.create(XFrameHandler.DENY));
        router.route().handler(ctx -> {
            ctx.response().putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer");
            ctx.addEndHandler(v -> connections.awaitRequest(ctx.request().connection()));
            ctx.next();
        });
        router.route().handler(HttpVerticle::refuseMalformedUrl);
        router.route("/api/*").handler(this::requireToken);
        router.route("/api/*").handler(HttpVerticle::refuseRepeatedParams);
        get(router, "/api/health").handler(this::health);
        router.route("/api/*").handler(this::limitRate);
        get(router, "/api/params").handler(ctx -> json(ctx, 200, PARAMS));
        get(router, "/api/models").handler(ctx -> answer(ctx, compute.models().map(Answers.ModelList::models)));
        get(router, "/api/models/:id").handler(ctx -> answer(ctx, compute.model(new ComputeApi.ModelRequest(ctx.pathParam("id"),
                clientOf(ctx)))));
        uploads.read(router.post("/api/models/:id/activations"), limits.uploadBytes()).handler(this::activations);
        get(router, "/api/models/:id/examples").handler(this::examples);
        uploads.read(router.post("/api/models/:id/attribution"), limits.uploadBytes())
                .handler(new AttributionHandler(vertx, compute, limits));
        get(router, "/api/runs/:id/animation").handler(new AnimationHandler(vertx));
        get(router, "/").handler(ctx -> templates.render(Map.of("backend", Backend.name(), "legend", GalleryLegend.entries(),
                        "defaultModel", ModelStore.DEFAULT_MODEL),
                        "templates/index.html")
                .onSuccess(page -> ctx.response().putHeader("content-type", "text/html; charset=utf-8").end(page))
                .onFailure(ctx::fail));
        router.route("/ws").handler(ctx -> {
            ctx.response().putHeader("Upgrade", "websocket");
            send(ctx, new ApiError(426, "bad_request", "/ws is a WebSocket: connect with a WebSocket client "
                    + "(a request with Upgrade: websocket), not plain HTTP"));
        });
        router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
        router.route().handler(ctx -> notFoundOrWrongMethod(ctx, router));
        router.route().failureHandler(this::failure);

        HttpServerOptions options = new HttpServerOptions();
        if (config.tls() != null) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(config.tls().certificate().toString()).setKeyPath(config.tls().key().toString()));
        }
        server = vertx.createHttpServer(options.setHost(config.host()).setPort(config.port())
                .setMaxWebSocketMessageSize(MAX_MESSAGE_BYTES).setMaxWebSocketFrameSize(MAX_MESSAGE_BYTES)
                .setMaxFormFields(MAX_FORM_FIELDS)
                // No HTTP/2 upgrade of plain connections: the page needs none, and each upgrade is one more connection
                // state to account for.
                .setHttp2ClearTextEnabled(false)
                // No permessage-deflate, which every browser offers: frames are PNG or JPEG already, and deflating
                // them again (each message flushed as a block of its own) took the event loop 35-45 us of processor
                // time a 28 px frame, with a zlib stream of about 300 KB kept per socket.
                .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false)
                .setIdleTimeout((int) limits.get(Limit.IDLE_TIMEOUT)).setIdleTimeoutUnit(TimeUnit.SECONDS)
                // A small kernel send buffer: a client that falls behind then sees the newest frames, not ones
                // that sat for seconds in a buffer of several megabytes.
                .setSendBufferSize(SEND_BUFFER_BYTES));
        server.connectionHandler(connections::opened)
                .requestHandler(request -> {
                    connections.requestStarted(request);
                    router.handle(request);
                })
                .invalidRequestHandler(HttpVerticle::invalidRequest)
                .webSocketHandshakeHandler(this::handshake).webSocketHandler(this::connected);
        server.listen().<Void>mapEmpty().onComplete(started);
    }

    @Override
    public void stop() {
        uploads.close();
    }

    // --- HTTP ---

    /** A GET route that answers HEAD too, as GET without the body (HTTP/1.1 leaves the body out of a HEAD answer). */
    private static io.vertx.ext.web.Route get(Router router, String path) {
        return router.get(path).method(io.vertx.core.http.HttpMethod.HEAD);
    }

    private static String clientOf(RoutingContext ctx) {
        return Connections.clientOf(ctx.request().remoteAddress());
    }

    /**
     * A request whose head Netty's decoder refused: 414 for a request line over 4096 bytes, 431 for headers over
     * 8192 bytes (Netty's limits, as Vert.x answers them), else 400; with a JSON body saying which, where Vert.x
     * answers with none.
     */
    private static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        String why = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
        ApiError error = why.startsWith("An HTTP line is larger than")
                ? new ApiError(414, "too_large", "request line longer than " + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH
                        + " bytes; shorten the URL")
                : why.startsWith("HTTP header is larger than")
                ? new ApiError(431, "too_large", "request headers longer than " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE
                        + " bytes in all; send fewer or shorter headers")
                : ApiError.badRequest("malformed request" + (why.isEmpty() ? "" : ": " + oneLine(why)));
        byte[] body = error.toHttpJson().encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        request.response().setStatusCode(error.status()).putHeader("connection", "close")
                .putHeader("content-type", "application/json").putHeader("content-length", String.valueOf(body.length))
                .end(Buffer.buffer(body));
    }

    /**
     * A path or query with a broken percent-escape ({@code %ZZ}, a lone {@code %}) is 400 before any route reads it:
     * decoding it later would throw inside Vert.x's route matching (a plain-text 400 and a stack trace in the log) or
     * inside a handler (500).
     */
    private static void refuseMalformedUrl(RoutingContext ctx) {
        try {
            ctx.normalizedPath();
            ctx.queryParams();
        } catch (IllegalArgumentException | io.vertx.ext.web.handler.HttpException e) {
            // Vert.x wraps the query's decoding error in an HttpException without the decoder's words
            Throwable why = e.getCause() != null ? e.getCause() : e;
            send(ctx, ApiError.badRequest("malformed URL: " + why.getMessage() + "; write a literal % as %25"));
            return;
        }
        ctx.next();
    }

    /** A query parameter given twice is refused, rather than one of its values silently winning. */
    private static void refuseRepeatedParams(RoutingContext ctx) {
        for (String name : ctx.queryParams().names()) {
            int times = ctx.queryParams().getAll(name).size();
            if (times > 1) {
                send(ctx, ApiError.badRequest("the " + name + " query parameter is given " + times + " times; give it once"));
                return;
            }
        }
        ctx.next();
    }

    private void checkHost(RoutingContext ctx) {
        if (auth.hostAllowed(ctx.request().getHeader("Host"))) {
            ctx.next();
        } else {
            send(ctx, hostRefused(ctx.request().getHeader("Host")));
        }
    }

    private static ApiError hostRefused(String host) {
        return new ApiError(403, "forbidden", "this server is not '" + host + "' (DNS rebinding?); start it with --allow-host "
                + host.replaceFirst(":\\d+$", "") + " or --token to serve that name");
    }

    private void requireToken(RoutingContext ctx) {
        if (auth.allows(ctx.request().getHeader("Authorization"), ctx.request().getParam("token"))) {
            ctx.next();
        } else {
            send(ctx, new ApiError(401, "unauthorized", "missing or wrong token: send Authorization: Bearer <token>"));
        }
    }

    private void limitRate(RoutingContext ctx) {
        if (requestRates.allows(clientOf(ctx), System.nanoTime())) {
            ctx.next();
        } else {
            ctx.response().putHeader("Retry-After", "1");
            send(ctx, new ApiError(429, "rate_limited", "more than " + config.limits().get(Limit.REQUESTS_PER_SECOND)
                    + " requests a second from your address (in bursts of " + REQUEST_BURST_SECONDS * config.limits().get(Limit.REQUESTS_PER_SECOND)
                    + "); slow down"));
        }
    }

    /** The workers' health; 503 when this node cannot compute (the Docker health check fails on it). */
    private void health(RoutingContext ctx) {
        compute.health().onSuccess(h -> json(ctx, "ok".equals(h.status()) ? 200 : 503, Protocol.encode(h)))
                .onFailure(e -> send(ctx, ApiError.of(e)));
    }

    private void activations(RoutingContext ctx) {
        String layer = requiredLayer(ctx);
        if (layer == null) {
            return;
        }
        String format = ctx.request().getParam("format");
        if (format != null && !format.equals("png")) {
            send(ctx, ApiError.badRequest("unknown format '" + format + "'; formats: png (a channel's map, with &channel=k)"));
            return;
        }
        if (format != null && ctx.request().getParam("channel") == null) {
            send(ctx, ApiError.badRequest("format=png is one channel's map: add &channel=k (without format, the answer is "
                    + "JSON with every channel; with &maps=png, each channel's map in it too)"));
            return;
        }
        String maps = ctx.request().getParam("maps");
        if (maps != null && (!maps.equals("png") || ctx.request().getParam("channel") != null)) {
            send(ctx, ApiError.badRequest(maps.equals("png") ? "maps=png puts every channel's map in the JSON answer; it does not "
                    + "go with &channel=k" : "unknown maps '" + maps + "'; maps: png (every channel's map in the JSON answer)"));
            return;
        }
        FileUpload upload = imageField(ctx);
        if (upload == null) {
            return;
        }
        String channel = null;
        if (ctx.request().getParam("channel") != null) {
            channel = parseIndex(ctx, "channel");
            if (channel == null) {
                return;
            }
        }
        String chosen = channel;
        vertx.executeBlocking(() -> Files.readAllBytes(java.nio.file.Path.of(upload.uploadedFileName())))
                .onSuccess(bytes -> {
                    ComputeApi.MapsRequest request = new ComputeApi.MapsRequest(ctx.pathParam("id"), layer, bytes, chosen,
                            clientOf(ctx), config.limits().uploadPixels(), config.limits().count(Limit.IMAGE_SIDE), maps != null);
                    if (chosen == null) {
                        answer(ctx, compute.activations(request));
                    } else {
                        compute.activationMap(request)
                                .onSuccess(png -> ctx.response().putHeader("content-type", "image/png").end(Buffer.buffer(png)))
                                .onFailure(e -> send(ctx, ApiError.of(e)));
                    }
                })
                .onFailure(e -> send(ctx, ApiError.of(e)));
    }

    /** The request's layer, or null after answering 400 when it has none or an empty one ({@code ?layer=}). */
    private static String requiredLayer(RoutingContext ctx) {
        String layer = ctx.request().getParam("layer");
        if (layer == null || layer.isBlank()) {
            send(ctx, ApiError.badRequest("the layer query parameter is required, e.g. ?layer=conv1"));
            return null;
        }
        return layer;
    }

    private void examples(RoutingContext ctx) {
        String layer = requiredLayer(ctx);
        if (layer == null) {
            return;
        }
        String filter = parseIndex(ctx, "filter");
        Integer n = ctx.request().getParam("n") == null ? Integer.valueOf(9) : parseInt(ctx, "n", 1, 100);
        if (filter == null || n == null) {
            return;
        }
        answer(ctx, compute.examples(new ComputeApi.ExamplesRequest(ctx.pathParam("id"), layer, filter, n, clientOf(ctx))));
    }

    /** The multipart form field {@code image}, the only one of that name, or null after answering 400. */
    static FileUpload imageField(RoutingContext ctx) {
        List<FileUpload> images = ctx.fileUploads().stream().filter(f -> f.name().equals("image")).toList();
        if (images.isEmpty()) {
            send(ctx, ApiError.badRequest("upload the image as a multipart form field named \"image\""));
            return null;
        }
        if (images.size() > 1) {
            send(ctx, ApiError.badRequest("one image part expected, got " + images.size() + " parts named \"image\""));
            return null;
        }
        return images.get(0);
    }

    /**
     * A filter, channel or class index from the query: its digits, any whole number from 0 up, beyond 64 bits too (the
     * model's own range is checked where the model is known, {@link io.filterscope.IndexRange}: a number out of it is
     * 404 with a message naming that range, as an unknown name is); null after answering 400 for a missing one or
     * what is no whole number from 0.
     */
    static String parseIndex(RoutingContext ctx, String name) {
        String v = ctx.request().getParam(name);
        String digits = v == null ? "" : v.trim();
        if (digits.matches("\\d+")) {
            return digits;
        }
        send(ctx, ApiError.badRequest(v == null ? "the " + name + " query parameter is required: a whole number, 0 or more"
                : "the " + name + " query parameter must be a whole number, 0 or more, got '" + v + "'"));
        return null;
    }

    static Integer parseInt(RoutingContext ctx, String name, int min, int max) {
        String v = ctx.request().getParam(name);
        try {
            int n = Integer.parseInt(v == null ? "" : v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        send(ctx, ApiError.badRequest("the " + name + " query parameter must be a whole number from " + min + " to " + max
                + (v == null ? "" : ", got '" + v + "'")));
        return null;
    }

    /** Writes the answer as JSON, or the error it failed with. */
    static void answer(RoutingContext ctx, Future<?> answer) {
        answer.onSuccess(body -> json(ctx, 200, Protocol.encode(body))).onFailure(e -> send(ctx, ApiError.of(e)));
    }

    /** The body's length goes in content-length explicitly, so that a HEAD answer (no body) carries it too. */
    private static void json(RoutingContext ctx, int status, String body) {
        Buffer bytes = Buffer.buffer(body);
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .putHeader("content-length", String.valueOf(bytes.length())).end(bytes);
    }

    static void send(RoutingContext ctx, ApiError error) {
        if (!ctx.response().ended()) {
            json(ctx, error.status(), error.toHttpJson().encode());
        }
    }

    /**
     * 405 with an Allow header when a route has this path for other methods (Vert.x's own 405 is lost once the
     * catch-all static route has matched), else 404.
     */
    private void notFoundOrWrongMethod(RoutingContext ctx, Router router) {
        String path = ctx.normalizedPath();
        java.util.Set<String> allowed = new java.util.TreeSet<>();
        for (io.vertx.ext.web.Route route : router.getRoutes()) {
            if (route.methods() != null && route.getPath() != null
                    && path.matches(route.getPath().replaceAll(":[^/]+", "[^/]+"))) {
                route.methods().forEach(m -> allowed.add(m.name()));
            }
        }
        if (!allowed.isEmpty()) {
            ctx.response().putHeader("Allow", String.join(", ", allowed));
            send(ctx, new ApiError(405, ApiError.codeFor(405), ctx.request().method() + " is not allowed on " + path
                    + "; use " + String.join(" or ", allowed)));
        } else {
            send(ctx, ApiError.notFound((path.startsWith("/api/") ? "no such API route: " : "nothing at ") + path));
        }
    }

    private void failure(RoutingContext ctx) {
        int status = ctx.statusCode();
        Throwable failure = ctx.failure();
        ApiError error;
        if (status == 413) {
            error = new ApiError(413, "too_large", "upload larger than " + config.limits().uploadBytes() + " bytes");
        } else if (failure instanceof io.netty.handler.codec.http.multipart.HttpPostRequestDecoder.TooManyFormFieldsException) {
            error = new ApiError(413, "too_large", "more than " + MAX_FORM_FIELDS + " parts in one upload; send the image alone");
        } else if (ctx.request().isExpectMultipart() && failure instanceof io.vertx.core.file.FileSystemException) {
            error = new ApiError(503, "no_worker", "the server cannot store uploads now; try again later");
        } else if (ctx.request().isExpectMultipart() && (status < 400 || status >= 500)) {
            // Only reading the body fails an upload here: too many parts, or a part whose writing BodyHandler
            // cancelled after that ("Streaming aborted", "Pipe closed").
            error = new ApiError(413, "too_large", "an upload holds one image (the field \"image\") of at most "
                    + config.limits().uploadBytes() + " bytes, in at most " + MAX_FORM_FIELDS + " parts");
        } else if (status >= 400 && status < 500) {
            // Netty's decoders fail some malformed requests (a multipart part's header over its 4 KB) with no message.
            error = new ApiError(status, ApiError.codeFor(status), failure == null || failure.getMessage() == null
                    ? "malformed request" + (ctx.request().isExpectMultipart() ? ": a part's header is broken or longer than 4 KB" : "")
                    : oneLine(failure.getMessage()));
        } else {
            error = ApiError.of(failure == null ? new IllegalStateException("status " + status) : failure);
        }
        send(ctx, error);
    }

    /** Longest decoder message a client is shown: Netty's for a multipart body without a boundary quoted the body, 1 KB of PNG. */
    static final int MAX_ECHOED_CHARS = 160;

    /**
     * A decoder's message as one short line: its first line, control characters as spaces, at most {@link
     * #MAX_ECHOED_CHARS} characters (then an ellipsis).
     */
    static String oneLine(String message) {
        String line = message.lines().findFirst().orElse("").replaceAll("\\p{Cntrl}", " ").strip();
        return line.length() <= MAX_ECHOED_CHARS ? line : line.substring(0, MAX_ECHOED_CHARS) + "…";
    }

    // --- WebSocket ---

    private void handshake(ServerWebSocketHandshake handshake) {
        String client = Connections.clientOf(handshake.remoteAddress());
        if (!"/ws".equals(handshake.path())) {
            handshake.reject(404);
        } else if (!auth.hostAllowed(handshake.headers().get("Host"))) {
            handshake.reject(403);
        } else if (!auth.allows(handshake.headers().get("Authorization"), queryParam(handshake.query(), "token"))) {
            handshake.reject(401);
        } else if (!auth.originAllowed(handshake.headers().get("Origin"), handshake.scheme(), handshake.authority())) {
            handshake.reject(403);
        } else if (sockets >= config.limits().connections()
                || socketsByClient.getOrDefault(client, 0) >= config.limits().count(Limit.SOCKETS_PER_CLIENT)) {
            handshake.reject(429);
        } else {
            sockets++;
            socketsByClient.merge(client, 1, Integer::sum);
            connections.upgraded(handshake.remoteAddress());
            SocketAddress peer = handshake.remoteAddress();
            handshake.accept().onFailure(e -> {
                closedSocket(client);
                connections.closed(peer);
            });
        }
    }

    private void closedSocket(String client) {
        sockets--;
        socketsByClient.computeIfPresent(client, (k, n) -> n > 1 ? n - 1 : null);
    }

    private void connected(ServerWebSocket ws) {
        String client = Connections.clientOf(ws.remoteAddress());
        // A socket whose client reads slower than frames come holds at most this much before frames drop.
        ws.setWriteQueueMaxSize(MAX_BUFFERED_BYTES);
        // Hold the client's first messages until answers can reach it.
        ws.pause();
        String socket = UUID.randomUUID().toString();
        MessageConsumer<Object> outgoing = vertx.eventBus().localConsumer(Addresses.socket(socket), m -> {
            if (ws.isClosed()) {
                return; // sent before the close reached the sender; nobody is left to read it
            }
            if (m.body() instanceof Buffer frame) {
                // A client that cannot keep up misses intermediate frames, never last frames or events.
                if (!("true".equals(m.headers().get(Addresses.DROPPABLE)) && ws.writeQueueFull())) {
                    ws.writeBinaryMessage(frame);
                }
            } else {
                ws.writeTextMessage((String) m.body());
            }
        });
        DeliveryOptions from = new DeliveryOptions().addHeader(Addresses.SOCKET, socket).addHeader(Addresses.CLIENT, client);
        RateLimit rate = new RateLimit(config.limits().messagesPerSecond());
        MessageAssembler messages = new MessageAssembler(MAX_MESSAGE_BYTES);
        outgoing.completion().onSuccess(v -> {
            ws.frameHandler(frame -> {
                MessageAssembler.Result message = messages.add(frame);
                if (message.closes()) {
                    ws.close(message.closeCode(), message.closeReason());
                } else if (message.binary()) {
                    vertx.eventBus().send(Addresses.socket(socket),
                            Protocol.encode(new ServerEvent.Error("bad_request", "send text frames with JSON messages", null)));
                } else if (message.text() == null) {
                    return;
                } else if (rate.allows(System.nanoTime())) {
                    vertx.eventBus().send(Addresses.SOCKET_TEXT, message.text(), from);
                } else {
                    ws.writeTextMessage(Protocol.encode(new ServerEvent.Error("rate_limited", "more than "
                            + config.limits().messagesPerSecond() + " messages a second; this one was ignored", null)));
                }
            });
            ws.resume();
        });
        // Pings keep a quiet socket (a page watching nothing) from the idle timeout; a peer that is gone stops
        // reading them, and then the idle timeout closes its connection.
        long pinger = vertx.setPeriodic(Math.max(1000, TimeUnit.SECONDS.toMillis(config.limits().get(Limit.IDLE_TIMEOUT)) / 3),
                t -> ws.writePing(Buffer.buffer()));
        ws.exceptionHandler(e -> {
            short code = closeCodeFor(e);
            // A frame over the limit is Netty's to refuse: its reason read "protocol error" for a message too large.
            ws.close(code, code == MessageAssembler.TOO_BIG ? MessageAssembler.tooBig(MAX_MESSAGE_BYTES) : "protocol error");
        });
        SocketAddress peer = ws.remoteAddress();
        ws.closeHandler(v -> {
            vertx.cancelTimer(pinger);
            closedSocket(client);
            connections.closed(peer);
            outgoing.unregister();
            vertx.eventBus().send(Addresses.SOCKET_CLOSED, socket);
        });
    }

    /** RFC 6455's close code for what went wrong: 1009 for a frame over the size limit. */
    private static short closeCodeFor(Throwable e) {
        if (e instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException c && c.closeStatus() != null) {
            return (short) c.closeStatus().code();
        }
        return 1002;
    }

    private static String queryParam(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
