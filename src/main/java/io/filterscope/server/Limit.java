package io.filterscope.server;

import java.util.Locale;

/**
 * Every limit a node applies to what clients may ask of it: its flag, default, bounds, unit and help
 * text, in one place. The command line's flags, {@link ServerConfig.Limits} and the table in
 * docs/protocol.md all come from here. A client is one IP address (behind NAT or a proxy, many people
 * share one: raise the per-client limits there).
 */
public enum Limit {
    ACTIVE_RUNS("max-runs", 4, 1, 1024, Unit.COUNT, "runs computing at once on each compute worker"),
    COMPUTE_THREADS("compute-threads", 0, 0, 256, Unit.COUNT,
            "threads of each compute worker that step runs at once, each running run on one of them (the one with the fewest running runs); 0: on a CPU one per core, at most --max-runs; under CUDA 1"),
    QUEUED_RUNS("max-queue", 32, 0, 100_000, Unit.COUNT, "runs waiting for a place on each compute worker"),
    RUNS_PER_CONNECTION("max-runs-per-connection", 8, 1, 100_000, Unit.COUNT, "runs one WebSocket may own at once"),
    RUNS_PER_CLIENT("max-runs-per-client", 4, 1, 100_000, Unit.COUNT,
            "runs (running and waiting) one client may own at once, over all its WebSockets"),
    CONNECTIONS("max-connections", 256, 1, 1_000_000, Unit.COUNT, "open WebSockets in all"),
    SOCKETS_PER_CLIENT("max-sockets-per-client", 16, 1, 1_000_000, Unit.COUNT, "open WebSockets of one client"),
    CONNECTIONS_PER_CLIENT("max-connections-per-client", 32, 1, 1_000_000, Unit.COUNT,
            "open TCP connections (HTTP and WebSocket) of one client; more are closed as they arrive"),
    MESSAGES_PER_SECOND("max-messages-per-second", 50, 1, 1_000_000, Unit.COUNT,
            "WebSocket messages a second on one socket; more are answered rate_limited and ignored"),
    REQUESTS_PER_SECOND("max-requests-per-second", 20, 1, 1_000_000, Unit.COUNT,
            "API requests a second of one client, in bursts of up to 5 seconds' worth (/api/health excepted); "
                    + "more are answered 429 rate_limited"),
    UPLOAD_BYTES("max-upload", 10L << 20, 1024, 1L << 30, Unit.BYTES, "size of an upload (the whole request body)"),
    IMAGE_PIXELS("max-image-pixels", 40_000_000, 1, 1_000_000_000, Unit.COUNT,
            "width x height of an uploaded image, read from its header before decoding"),
    IMAGE_SIDE("max-image-side", 16_384, 1, 1_000_000, Unit.PIXELS,
            "width and height of an uploaded image, each, read from its header before decoding"),
    REQUEST_TIMEOUT("request-timeout", 30, 1, 86_400, Unit.SECONDS,
            "time a connection has to send a request's head and body; a slower one is closed"),
    IDLE_TIMEOUT("idle-timeout", 120, 1, 86_400, Unit.SECONDS,
            "a connection with no traffic either way for this long is closed (WebSockets are pinged meanwhile)"),
    MEMORY_BUDGET("memory-budget", 0, 0, 1L << 50, Unit.BYTES,
            "memory for the networks of each compute worker's runs; 0: 75% of what is free when it starts "
                    + "(the GPU's free memory, or the machine's, within JavaCPP's maxphysicalbytes if one is given)"),
    NETWORK_CACHE("network-cache", 0, 0, 1L << 50, Unit.BYTES,
            "compiled networks of ended runs kept for reuse by each compute worker; 0: a quarter of the memory budget "
                    + "or of 75% of what is free, whichever is less"),
    STEP_TIME("max-step-time", 3, 1, 86_400, Unit.SECONDS,
            "estimated time of one step of a run (or of runs batched together) on its compute worker: every other run "
                    + "waits that long; a longer one is refused with too_large (estimated from the multiply-adds of the step's "
                    + "network and of its images' own work, at the worker's fastest measured rates)"),
    WEDGED_AFTER("wedged-after", 120, 1, 86_400, Unit.SECONDS,
            "a compute worker busy this long with one step, load or query is reported wedged (health 503)"),
    OTHERS_NICE("others-nice", 0, 0, 19, Unit.COUNT,
            "on Linux with the CPU backend, how much nicer (in nice values) every thread of the process but the compute "
                    + "threads runs, so that on busy cores steps go before serving requests, sending frames, collecting garbage "
                    + "and compiling; only for a server that has the machine to itself: any other process (a browser on the same "
                    + "machine) then outranks the server's requests, frames and heartbeats; 0: all alike");

    /** How a value is written on the command line and shown. */
    public enum Unit {
        COUNT, PIXELS, SECONDS,
        /** Bytes; the flag also takes k, m and g suffixes (powers of 1024). */
        BYTES
    }

    public final String flag;
    public final long defaultValue;
    public final long min;
    public final long max;
    public final Unit unit;
    public final String help;

    Limit(String flag, long defaultValue, long min, long max, Unit unit, String help) {
        this.flag = flag;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.unit = unit;
        this.help = help;
    }

    /**
     * Reads a flag's value: a whole number, for bytes with an optional k, m or g suffix.
     *
     * @throws IllegalArgumentException naming the flag, when the text is not a number or out of bounds
     */
    public long parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long scale = 1;
        if (unit == Unit.BYTES && !t.isEmpty() && "kmg".indexOf(t.charAt(t.length() - 1)) >= 0) {
            scale = 1L << (10 * ("kmg".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        long value;
        try {
            value = Math.multiplyExact(Long.parseLong(t), scale);
        } catch (NumberFormatException | ArithmeticException e) { // no number, or one beyond 64 bits: the bounds said too
            boolean whole = t.matches("[-+]?\\d+");
            throw new IllegalArgumentException("--" + flag + " must be " + (whole ? "" : "a whole number" + (unit == Unit.BYTES
                    ? " of bytes (k, m, g allowed)" : "") + " ") + "between " + show(min) + " and " + show(max) + ", got "
                    + (whole ? text.trim() : "'" + text + "'"));
        }
        if (value < min || value > max) {
            // What was typed: "-1g" read back as bytes was "got -1073741824".
            throw new IllegalArgumentException("--" + flag + " must be between " + show(min) + " and " + show(max)
                    + ", got " + text.trim());
        }
        return value;
    }

    /** A value as the docs and messages show it: "10m" for bytes that are whole mebibytes, "30 s" for seconds. */
    public String show(long value) {
        return switch (unit) {
            case BYTES -> value > 0 && value % (1L << 30) == 0 ? value / (1L << 30) + "g"
                    : value > 0 && value % (1L << 20) == 0 ? value / (1L << 20) + "m"
                    : value > 0 && value % 1024 == 0 ? value / 1024 + "k" : String.valueOf(value);
            case SECONDS -> value + " s";
            default -> String.valueOf(value);
        };
    }
}
