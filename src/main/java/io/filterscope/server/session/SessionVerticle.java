package io.filterscope.server.session;

import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The WebSocket sessions role: reads clients' messages (start, stop, update, watch, unwatch, list), asks the
 * compute worker, and fans each run's frames and events out to its owner and watchers. It never touches a
 * socket: it sends what to write to {@link Addresses#socket}, so it could run on another node.
 */
public final class SessionVerticle extends AbstractVerticle {
    /**
     * A run's audience: who started it (null once they left while others watch), who watches, its tag.
     * A foreign run was started through another front node of the cluster: this node only watches it.
     */
    private static final class Audience {
        String owner;
        final Set<String> watchers = new LinkedHashSet<>();
        final Object tag;
        final boolean foreign;
        MessageConsumer<Object> consumer;

        Audience(String owner, Object tag, boolean foreign) {
            this.owner = owner;
            this.tag = tag;
            this.foreign = foreign;
        }

        Set<String> sockets() {
            Set<String> all = new LinkedHashSet<>(watchers);
            if (owner != null) {
                all.add(owner);
            }
            return all;
        }
    }

    private static final long COMPUTE_TIMEOUT_MS = 120_000;
    private final Map<String, Audience> runs = new HashMap<>();
    /** The client (address) of each open socket that has sent something. */
    private final Map<String, String> clientOf = new HashMap<>();
    private final int runsPerConnection;
    private final int runsPerClient;

    public SessionVerticle(ServerConfig.Limits limits) {
        this.runsPerConnection = limits.runsPerConnection();
        this.runsPerClient = limits.count(Limit.RUNS_PER_CLIENT);
    }

    @Override
    public void start(Promise<Void> started) {
        // Sockets belong to this node's HTTP verticle: their messages stay on this node even in a cluster.
        vertx.eventBus().<String>localConsumer(Addresses.SOCKET_TEXT, m -> {
            String socket = m.headers().get(Addresses.SOCKET);
            clientOf.put(socket, m.headers().get(Addresses.CLIENT) == null ? "" : m.headers().get(Addresses.CLIENT));
            onText(socket, m.body());
        });
        vertx.eventBus().<String>localConsumer(Addresses.SOCKET_CLOSED, m -> onClosed(m.body()))
                .completion().onComplete(started);
    }

    private void onText(String socket, String text) {
        JsonObject msg;
        try {
            msg = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            error(socket, ApiError.badRequest("message is not a JSON object"), null);
            return;
        }
        Object op = msg.getValue("op");
        String run = msg.getValue("run") instanceof String s ? s : null;
        switch (op instanceof String s ? s : "") {
            case "start" -> start(socket, msg);
            case "stop" -> withOwnRun(socket, run, msg, () -> compute(new JsonObject().put("action", "stop").put("run", run))
                    .onFailure(e -> error(socket, ApiError.of(e), msg.getValue("tag"))));
            case "update" -> withOwnRun(socket, run, msg, () -> update(socket, run, msg));
            case "watch" -> watch(socket, run, msg);
            case "unwatch" -> {
                Audience a = run == null ? null : runs.get(run);
                if (a != null) {
                    leave(run, a, socket);
                }
                write(socket, new JsonObject().put("type", "unwatched").put("run", run).encode(), false);
            }
            case "list" -> compute(new JsonObject().put("action", "list"))
                    .onSuccess(list -> write(socket, new JsonObject().put("type", "runs").put("runs", list).encode(), false))
                    .onFailure(e -> error(socket, ApiError.of(e), msg.getValue("tag")));
            default -> error(socket, ApiError.badRequest("unknown op " + (op == null ? "(none)" : "'" + op + "'")
                    + "; ops: start, stop, update, watch, unwatch, list"), msg.getValue("tag"));
        }
    }

    private void start(String socket, JsonObject msg) {
        long owned = runs.values().stream().filter(a -> socket.equals(a.owner)).count();
        if (owned >= runsPerConnection) {
            error(socket, new ApiError(429, "too_many_runs", "this connection already has " + owned
                    + " runs going; stop one first"), msg.getValue("tag"));
            return;
        }
        String client = clientOf.get(socket);
        long ofClient = runs.values().stream().filter(a -> a.owner != null && client.equals(clientOf.get(a.owner))).count();
        if (ofClient >= runsPerClient) {
            error(socket, new ApiError(429, "too_many_runs", "you already have " + ofClient
                    + " runs going (over all your connections); stop one first"), msg.getValue("tag"));
            return;
        }
        String run = "r" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Audience audience = new Audience(socket, msg.getValue("tag"), false);
        runs.put(run, audience);
        JsonObject request = msg.copy();
        request.remove("op");
        request.remove("tag");
        // Listen before asking, so no frame or event of the run can be missed.
        audience.consumer = vertx.eventBus().consumer(Addresses.run(run), m -> onRunMessage(run, m));
        audience.consumer.completion()
                .compose(v -> compute(new JsonObject().put("action", "start").put("run", run).put("client", client)
                        .put("request", request)))
                .onSuccess(body -> {
                    JsonObject reply = (JsonObject) body;
                    if ("queued".equals(reply.getString("state"))) {
                        write(socket, withTag(new JsonObject().put("type", "queued").put("run", run)
                                .put("position", reply.getInteger("position")), audience.tag).encode(), false);
                    }
                })
                .onFailure(e -> {
                    forget(run);
                    error(socket, ApiError.of(e), audience.tag);
                });
    }

    private void update(String socket, String run, JsonObject msg) {
        Object params = msg.getValue("params");
        if (!(params instanceof JsonObject p)) {
            error(socket, ApiError.badRequest("update needs a \"params\" object"), msg.getValue("tag"));
            return;
        }
        compute(new JsonObject().put("action", "update").put("run", run).put("params", p))
                .onSuccess(reply -> write(socket, ((JsonObject) reply).encode(), false))
                .onFailure(e -> error(socket, ApiError.of(e), msg.getValue("tag")));
    }

    private void watch(String socket, String run, JsonObject msg) {
        Audience a = run == null ? null : runs.get(run);
        if (a != null) {
            a.watchers.add(socket);
            write(socket, new JsonObject().put("type", "watching").put("run", run).encode(), false);
            return;
        }
        // Not started through this node: in a cluster it may run for another front's client.
        compute(new JsonObject().put("action", "list")).onComplete(listed -> {
            boolean exists = listed.succeeded() && ((io.vertx.core.json.JsonArray) listed.result()).stream()
                    .anyMatch(r -> run != null && run.equals(((JsonObject) r).getString("run")));
            if (!exists) {
                error(socket, ApiError.notFound("no run " + run + " to watch"), msg.getValue("tag"));
                return;
            }
            Audience foreign = runs.computeIfAbsent(run, id -> {
                Audience audience = new Audience(null, null, true);
                audience.consumer = vertx.eventBus().consumer(Addresses.run(id), m -> onRunMessage(id, m));
                return audience;
            });
            foreign.watchers.add(socket);
            foreign.consumer.completion().onComplete(v ->
                    write(socket, new JsonObject().put("type", "watching").put("run", run).encode(), false));
        });
    }

    private void withOwnRun(String socket, String run, JsonObject msg, Runnable action) {
        Audience a = run == null ? null : runs.get(run);
        if (a == null) {
            error(socket, ApiError.notFound("no run " + run), msg.getValue("tag"));
        } else if (!socket.equals(a.owner)) {
            error(socket, new ApiError(403, "forbidden", "only the client that started run " + run + " can change or stop it"),
                    msg.getValue("tag"));
        } else {
            action.run();
        }
    }

    private void onRunMessage(String run, Message<Object> m) {
        Audience a = runs.get(run);
        if (a == null) {
            return;
        }
        if (m.body() instanceof Buffer frame) {
            boolean droppable = "true".equals(m.headers().get(Addresses.DROPPABLE));
            a.sockets().forEach(s -> write(s, frame, droppable));
            return;
        }
        JsonObject event = (JsonObject) m.body();
        if (!"done".equals(event.getString("type"))) {
            withTag(event, a.tag);
        }
        a.sockets().forEach(s -> write(s, event.encode(), false));
        if ("done".equals(event.getString("type"))) {
            forget(run);
        }
    }

    /** A socket closed: runs that nobody is left to see (no owner, no watcher) stop. */
    private void onClosed(String socket) {
        clientOf.remove(socket);
        for (Map.Entry<String, Audience> e : Map.copyOf(runs).entrySet()) {
            Audience a = e.getValue();
            if (socket.equals(a.owner)) {
                a.owner = null;
            }
            leave(e.getKey(), a, socket);
        }
    }

    private void leave(String run, Audience a, String socket) {
        a.watchers.remove(socket);
        if (a.owner == null && a.watchers.isEmpty()) {
            if (a.foreign) {
                forget(run); // its owner is on another front; only this node's interest ends
            } else {
                compute(new JsonObject().put("action", "stop").put("run", run));
            }
        }
    }

    private void forget(String run) {
        Audience a = runs.remove(run);
        if (a != null && a.consumer != null) {
            a.consumer.unregister();
        }
    }

    private Future<Object> compute(JsonObject request) {
        // Starting a run may first load its model, which takes a while for a large one.
        return vertx.eventBus().request(Addresses.COMPUTE, request, new DeliveryOptions().setSendTimeout(COMPUTE_TIMEOUT_MS))
                .map(Message::body);
    }

    private void error(String socket, ApiError error, Object tag) {
        write(socket, withTag(error.toSocketJson(), tag).encode(), false);
    }

    private static JsonObject withTag(JsonObject json, Object tag) {
        return tag == null ? json : json.put("tag", tag);
    }

    private void write(String socket, Object frame, boolean droppable) {
        vertx.eventBus().send(Addresses.socket(socket), frame,
                new DeliveryOptions().addHeader(Addresses.DROPPABLE, String.valueOf(droppable)));
    }
}
