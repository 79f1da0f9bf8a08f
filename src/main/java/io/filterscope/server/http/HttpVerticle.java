package io.filterscope.server.http;

import io.filterscope.engine.Backend;
import io.filterscope.engine.preset.Schema;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
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
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.templ.thymeleaf.ThymeleafTemplateEngine;
import java.nio.file.Files;
import java.util.Map;
import java.util.UUID;

/**
 * The HTTP and page role: the explorer page, the JSON API, and the WebSocket transport. It checks the
 * token and the Origin, relays what clients send to the session verticle, and writes what the session
 * verticle sends back; a socket whose client cannot keep up skips intermediate frames, never a last one.
 */
public final class HttpVerticle extends AbstractVerticle {
    /** Largest WebSocket message a client may send. */
    static final int MAX_MESSAGE_BYTES = 64 * 1024;
    /** Frames buffered for one socket before intermediate frames are dropped. */
    static final int MAX_BUFFERED_BYTES = 512 * 1024;
    static final int SEND_BUFFER_BYTES = 256 * 1024;
    /** The settings schema, the same for every request. */
    private static final String PARAMS = Schema.json().toString();

    private final ServerConfig config;
    private final Auth auth;
    private ComputeApi.Front compute;
    private HttpServer server;
    /** Open WebSockets, counted on this verticle's event loop. */
    private int sockets;

    public HttpVerticle(ServerConfig config) {
        this.config = config;
        this.auth = new Auth(config.token(), config.allowedOrigins());
    }

    public int port() {
        return server.actualPort();
    }

    @Override
    public void start(Promise<Void> started) {
        compute = EventBusService.proxy(vertx, ComputeApi.Front.class, Addresses.COMPUTE, ComputeApi.TIMEOUT_MS);
        Router router = Router.router(vertx);
        ThymeleafTemplateEngine templates = ThymeleafTemplateEngine.create(vertx);
        router.route("/api/*").handler(this::requireToken);
        router.get("/api/health").handler(ctx -> answer(ctx, compute.health()));
        router.get("/api/params").handler(ctx -> json(ctx, 200, PARAMS));
        router.get("/api/models").handler(ctx -> answer(ctx, compute.models().map(Answers.ModelList::models)));
        router.get("/api/models/:id").handler(ctx -> answer(ctx, compute.model(ctx.pathParam("id"))));
        router.post("/api/models/:id/activations")
                .handler(BodyHandler.create().setBodyLimit(config.limits().uploadBytes()).setDeleteUploadedFilesOnEnd(true))
                .handler(this::activations);
        router.get("/api/models/:id/examples").handler(this::examples);
        router.route("/api/*").handler(ctx -> send(ctx, ApiError.notFound("no such API route: " + ctx.request().path())));
        router.get("/").handler(ctx -> templates.render(Map.of("backend", Backend.name()), "templates/index.html")
                .onSuccess(page -> ctx.response().putHeader("content-type", "text/html; charset=utf-8").end(page))
                .onFailure(ctx::fail));
        router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
        router.route().handler(ctx -> send(ctx, ApiError.notFound("nothing at " + ctx.normalizedPath())));
        router.route().failureHandler(this::failure);

        HttpServerOptions options = new HttpServerOptions();
        if (config.tls() != null) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(config.tls().certificate().toString()).setKeyPath(config.tls().key().toString()));
        }
        server = vertx.createHttpServer(options.setHost(config.host()).setPort(config.port())
                .setMaxWebSocketMessageSize(MAX_MESSAGE_BYTES).setMaxWebSocketFrameSize(MAX_MESSAGE_BYTES)
                // A small kernel send buffer: a client that falls behind then sees the newest frames, not ones
                // that sat for seconds in a buffer of several megabytes.
                .setSendBufferSize(SEND_BUFFER_BYTES));
        server.requestHandler(router).webSocketHandshakeHandler(this::handshake).webSocketHandler(this::connected);
        server.listen().<Void>mapEmpty().onComplete(started);
    }

    // --- HTTP ---

    private void requireToken(RoutingContext ctx) {
        if (auth.allows(ctx.request().getHeader("Authorization"), ctx.request().getParam("token"))) {
            ctx.next();
        } else {
            send(ctx, new ApiError(401, "unauthorized", "missing or wrong token: send Authorization: Bearer <token>"));
        }
    }

    private void activations(RoutingContext ctx) {
        FileUpload upload = ctx.fileUploads().stream().filter(f -> f.name().equals("image")).findFirst().orElse(null);
        String layer = ctx.request().getParam("layer");
        if (layer == null || layer.isBlank()) {
            send(ctx, ApiError.badRequest("the layer query parameter is required, e.g. ?layer=conv1"));
            return;
        }
        if (upload == null) {
            send(ctx, ApiError.badRequest("upload the image as a multipart form field named \"image\""));
            return;
        }
        Integer channel = null;
        if (ctx.request().getParam("channel") != null) {
            channel = parseInt(ctx, "channel", 0, 1 << 20);
            if (channel == null) {
                return;
            }
        }
        Integer chosen = channel;
        vertx.executeBlocking(() -> Files.readAllBytes(java.nio.file.Path.of(upload.uploadedFileName())))
                .onSuccess(bytes -> {
                    ComputeApi.MapsRequest request = new ComputeApi.MapsRequest(ctx.pathParam("id"), layer, bytes, chosen);
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

    private void examples(RoutingContext ctx) {
        String layer = ctx.request().getParam("layer");
        if (layer == null) {
            send(ctx, ApiError.badRequest("the layer query parameter is required"));
            return;
        }
        Integer filter = parseInt(ctx, "filter", 0, 1 << 20);
        Integer n = ctx.request().getParam("n") == null ? Integer.valueOf(9) : parseInt(ctx, "n", 1, 100);
        if (filter == null || n == null) {
            return;
        }
        answer(ctx, compute.examples(new ComputeApi.ExamplesRequest(ctx.pathParam("id"), layer, filter, n)));
    }

    /** The query parameter as an int in range, or null after answering 400. */
    private Integer parseInt(RoutingContext ctx, String name, int min, int max) {
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
    private static void answer(RoutingContext ctx, Future<?> answer) {
        answer.onSuccess(body -> json(ctx, 200, Protocol.encode(body))).onFailure(e -> send(ctx, ApiError.of(e)));
    }

    private static void json(RoutingContext ctx, int status, String body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }

    private static void send(RoutingContext ctx, ApiError error) {
        if (!ctx.response().ended()) {
            json(ctx, error.status(), error.toHttpJson().encode());
        }
    }

    private void failure(RoutingContext ctx) {
        int status = ctx.statusCode();
        if (status == 413) {
            send(ctx, new ApiError(413, "too_large", "upload larger than " + config.limits().uploadBytes() + " bytes"));
        } else if (status >= 400 && status < 500) {
            send(ctx, new ApiError(status, ApiError.codeFor(status),
                    ctx.failure() == null ? "bad request" : String.valueOf(ctx.failure().getMessage())));
        } else {
            send(ctx, ApiError.of(ctx.failure() == null ? new IllegalStateException("status " + status) : ctx.failure()));
        }
    }

    // --- WebSocket ---

    private void handshake(ServerWebSocketHandshake handshake) {
        if (!"/ws".equals(handshake.path())) {
            handshake.reject(404);
        } else if (!auth.allows(handshake.headers().get("Authorization"), queryParam(handshake.query(), "token"))) {
            handshake.reject(401);
        } else if (!auth.originAllowed(handshake.headers().get("Origin"), handshake.scheme(), handshake.authority())) {
            handshake.reject(403);
        } else if (sockets >= config.limits().connections()) {
            handshake.reject(429);
        } else {
            sockets++;
            handshake.accept().onFailure(e -> sockets--);
        }
    }

    private void connected(ServerWebSocket ws) {
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
        DeliveryOptions from = new DeliveryOptions().addHeader(Addresses.SOCKET, socket);
        RateLimit rate = new RateLimit(config.limits().messagesPerSecond());
        outgoing.completion().onSuccess(v -> {
            ws.textMessageHandler(text -> {
                if (rate.allows(System.nanoTime())) {
                    vertx.eventBus().send(Addresses.SOCKET_TEXT, text, from);
                } else {
                    ws.writeTextMessage(Protocol.encode(new ServerEvent.Error("rate_limited", "more than "
                            + config.limits().messagesPerSecond() + " messages a second; this one was ignored", null)));
                }
            });
            ws.binaryMessageHandler(b -> vertx.eventBus().send(Addresses.socket(socket),
                    Protocol.encode(new ServerEvent.Error("bad_request", "send text frames with JSON messages", null))));
            ws.resume();
        });
        ws.exceptionHandler(e -> ws.close());
        ws.closeHandler(v -> {
            sockets--;
            outgoing.unregister();
            vertx.eventBus().send(Addresses.SOCKET_CLOSED, socket);
        });
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
