package io.filterscope.server;

/** Event-bus addresses: the verticles talk only through these, so they can run in one JVM or apart. */
public final class Addresses {
    /**
     * A front node's {@code ComputeApi.Front}: one address per method below this one, answered with protocol
     * records or a typed failure. Local to each front node: its dispatcher forwards them to the
     * {@link #worker} that has the model or the run.
     */
    public static final String COMPUTE = "filterscope.compute";
    /** Every compute worker publishes its heartbeat here (a {@code WorkerStatus}). */
    public static final String WORKERS = "filterscope.workers";
    /** Every front node's dispatcher publishes its id here: workers stop the runs of a dead front. */
    public static final String FRONTS = "filterscope.fronts";
    /** A dispatcher that just started publishes here so that every worker announces itself at once. */
    public static final String WORKERS_HELLO = "filterscope.workers.hello";
    /** A WebSocket closed or sent text: sent by the HTTP verticle to the session verticle. */
    public static final String SOCKET_CLOSED = "filterscope.socket.closed";
    public static final String SOCKET_TEXT = "filterscope.socket.text";

    /**
     * A front node's {@code ReplayApi} (recordings of its runs), one address per method below this one; and
     * the address the session verticle sends a run's id to before starting it, so that every frame is recorded.
     */
    public static final String REPLAY = "filterscope.replay";
    public static final String RECORD = "filterscope.replay.record";

    /** Message header: "true" on intermediate frames a slow client may miss. */
    public static final String DROPPABLE = "droppable";
    /** Message header naming the WebSocket a message came from. */
    public static final String SOCKET = "socket";
    /** Message header naming the client (its IP address) a socket belongs to. */
    public static final String CLIENT = "client";

    private Addresses() {
    }

    /** One worker's {@code ComputeApi.Worker}: one address per method below this one. */
    public static String worker(String workerId) {
        return "filterscope.worker." + workerId;
    }

    /** Frames (binary) and events (protocol records) of one run, published by the worker to every front that listens. */
    public static String run(String runId) {
        return "filterscope.run." + runId;
    }

    /** What to write to one WebSocket: a Buffer is a binary frame, a String a text frame. */
    public static String socket(String socketId) {
        return "filterscope.socket.out." + socketId;
    }
}
