package io.filterscope.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.filterscope.server.protocol.ClientMessage;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.Protocol;
import io.filterscope.server.protocol.ServerEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket sessions role: decodes clients' messages (start, stop, update, watch, unwatch, list) into
 * {@link ClientMessage} records, asks computing through {@link ComputeApi.Front}, and fans each run's frames
 * and events out to its owner and watchers. It never touches a socket: it sends what to write to
 * {@link Addresses#socket}, so it could run on another node.
 */
public final class SessionVerticle extends AbstractVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(SessionVerticle.class);

    /**
     * A run's audience: who started it (null once they left while others watch), who watches, its tag.
     * A foreign run was started through another front node of the cluster: this node only watches it.
     */
    private static final class Audience {
        String owner;
        final Set<String> watchers = new LinkedHashSet<>();
        final JsonNode tag;
        final boolean foreign;
        MessageConsumer<Object> consumer;

        Audience(String owner, JsonNode tag, boolean foreign) {
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

    private final Map<String, Audience> runs = new HashMap<>();
    /** The client (address) of each open socket that has sent something. */
    private final Map<String, String> clientOf = new HashMap<>();
    private final int runsPerConnection;
    private final int runsPerClient;
    private ComputeApi.Front compute;

    public SessionVerticle(ServerConfig.Limits limits) {
        this.runsPerConnection = limits.runsPerConnection();
        this.runsPerClient = limits.count(Limit.RUNS_PER_CLIENT);
    }

    @Override
    public void start(Promise<Void> started) {
        compute = EventBusService.proxy(vertx, ComputeApi.Front.class, Addresses.COMPUTE, ComputeApi.FRONT_TIMEOUT_MS);
        // Sockets belong to this node's HTTP verticle: their messages stay on this node even in a cluster.
        vertx.eventBus().<String>localConsumer(Addresses.SOCKET_TEXT, m -> {
            String socket = m.headers().get(Addresses.SOCKET);
            clientOf.put(socket, m.headers().get(Addresses.CLIENT) == null ? "" : m.headers().get(Addresses.CLIENT));
            try {
                onText(socket, m.body());
            } catch (RuntimeException e) {
                // A defect, not the client's doing: the client still gets one line, and the log the whole trace once.
                LOG.error("a message from socket {} could not be handled", socket, e);
                error(socket, ApiError.of(e), null);
            }
        });
        vertx.eventBus().<String>localConsumer(Addresses.SOCKET_CLOSED, m -> onClosed(m.body()))
                .completion().onComplete(started);
    }

    private void onText(String socket, String text) {
        ClientMessage message;
        try {
            message = Protocol.decode(text);
        } catch (Protocol.BadMessage e) {
            error(socket, e.error(), e.tag);
            return;
        }
        JsonNode tag = Protocol.tagOf(message.tag());
        if (message instanceof ClientMessage.Start start) {
            start(socket, start, tag);
        } else if (message instanceof ClientMessage.Stop stop) {
            // Its answer is the run's "done"; a run the workers no longer have (it ended, its "done" on its way or
            // sent) has none to come, so it is told like an unknown one.
            withOwnRun(socket, stop.run(), tag, () -> compute.stop(stop.run())
                    .onSuccess(stopped -> {
                        if (!stopped) {
                            error(socket, ApiError.noRun(stop.run()), tag);
                        }
                    })
                    .onFailure(e -> error(socket, ApiError.of(e), tag)));
        } else if (message instanceof ClientMessage.Update update) {
            withOwnRun(socket, update.run(), tag, () -> compute.update(new ComputeApi.UpdateRun(update.run(), update.params(), update.pace()))
                    .onSuccess(updated -> write(socket, updated))
                    .onFailure(e -> error(socket, ApiError.of(e), tag)));
        } else if (message instanceof ClientMessage.Watch watch) {
            watch(socket, watch.run(), tag);
        } else if (message instanceof ClientMessage.Unwatch unwatch) {
            Audience a = runs.get(unwatch.run());
            if (a == null || !a.watchers.contains(socket)) {
                error(socket, ApiError.notFound("you are not watching a run " + unwatch.run() + " (it ended, or you never watched it)"), tag);
                return;
            }
            leave(unwatch.run(), a, socket);
            write(socket, new ServerEvent.Unwatched(unwatch.run()));
        } else if (message instanceof ClientMessage.ListRuns) {
            compute.list().onSuccess(all -> write(socket, new ServerEvent.Runs(all.runs())))
                    .onFailure(e -> error(socket, ApiError.of(e), tag));
        }
    }

    private void start(String socket, ClientMessage.Start message, JsonNode tag) {
        long owned = runs.values().stream().filter(a -> socket.equals(a.owner)).count();
        if (owned >= runsPerConnection) {
            error(socket, new ApiError(429, "too_many_runs", "this connection already has " + owned
                    + " runs going or starting; stop one or wait for an answer first"), tag);
            return;
        }
        String client = clientOf.get(socket);
        long ofClient = runs.values().stream().filter(a -> a.owner != null && client.equals(clientOf.get(a.owner))).count();
        if (ofClient >= runsPerClient) {
            error(socket, new ApiError(429, "too_many_runs", "you already have " + ofClient
                    + " runs going or starting (over all your connections); stop one or wait for an answer first"), tag);
            return;
        }
        String run = "r" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Audience audience = new Audience(socket, tag, false);
        runs.put(run, audience);
        // Listen (and have the run recorded for replay) before asking, so no frame or event of the run can be missed.
        audience.consumer = vertx.eventBus().consumer(Addresses.run(run), m -> onRunMessage(run, m));
        audience.consumer.completion()
                .compose(v -> vertx.eventBus().request(Addresses.RECORD, run).<Void>mapEmpty().otherwiseEmpty())
                // A run that must wait is told so by its worker, as a queued event among its others (onRunMessage): written
                // here from the answer, it came twice when the queue had moved meanwhile, or after the newer position.
                .compose(v -> compute.start(new ComputeApi.StartRun(run, null, client, message)))
                .onFailure(e -> {
                    forget(run);
                    ApiError why = ApiError.of(e);
                    if (why.timedOut()) { // the dispatcher stops it on its worker (DispatchVerticle#start)
                        why = new ApiError(why.status(), why.code(), why.message() + "; run " + run
                                + " was stopped (a large model's first read can take minutes on a busy machine: start it again)");
                    }
                    error(socket, why, audience.tag);
                });
    }

    private void watch(String socket, String run, JsonNode tag) {
        Audience a = run == null ? null : runs.get(run);
        if (a != null) {
            a.watchers.add(socket);
            write(socket, new ServerEvent.Watching(run));
            return;
        }
        // Not started through this node: in a cluster it may run for another front's client.
        compute.list().onComplete(listed -> {
            boolean exists = listed.succeeded() && listed.result().runs().stream().anyMatch(r -> r.run().equals(run));
            if (!exists) {
                error(socket, ApiError.notFound("no run " + run + " to watch"), tag);
                return;
            }
            Audience foreign = runs.computeIfAbsent(run, id -> {
                Audience audience = new Audience(null, null, true);
                audience.consumer = vertx.eventBus().consumer(Addresses.run(id), m -> onRunMessage(id, m));
                return audience;
            });
            foreign.watchers.add(socket);
            foreign.consumer.completion().onComplete(v -> write(socket, new ServerEvent.Watching(run)));
        });
    }

    private void withOwnRun(String socket, String run, JsonNode tag, Runnable action) {
        Audience a = run == null ? null : runs.get(run);
        if (a == null) {
            error(socket, ApiError.noRun(run), tag);
        } else if (!socket.equals(a.owner)) {
            error(socket, new ApiError(403, "forbidden", "only the client that started run " + run + " can change or stop it"), tag);
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
            a.sockets().forEach(s -> send(s, frame, droppable));
            return;
        }
        ServerEvent.RunEvent event = (ServerEvent.RunEvent) m.body();
        String text = Protocol.encode(event.withTag(a.tag));
        a.sockets().forEach(s -> send(s, text, false));
        if (event instanceof ServerEvent.Done) {
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
                compute.stop(run);
            }
        }
    }

    private void forget(String run) {
        Audience a = runs.remove(run);
        if (a != null && a.consumer != null) {
            a.consumer.unregister();
        }
    }

    private void error(String socket, ApiError error, JsonNode tag) {
        write(socket, new ServerEvent.Error(error.code(), error.message(), tag));
    }

    private void write(String socket, ServerEvent event) {
        send(socket, Protocol.encode(event), false);
    }

    private void send(String socket, Object frame, boolean droppable) {
        vertx.eventBus().send(Addresses.socket(socket), frame,
                new DeliveryOptions().addHeader(Addresses.DROPPABLE, String.valueOf(droppable)));
    }
}
