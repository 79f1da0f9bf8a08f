package io.filterscope.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import java.util.List;

/**
 * The typed contract between the roles over the event bus. A front node's session and HTTP verticles ask
 * {@link ComputeApi} (its dispatcher, which forwards to a worker); the dispatcher asks each worker's
 * {@link WorkerApi}. {@link EventBusService} gives each method its own address and carries the records with
 * {@link RecordCodec}s, so the same calls work in one JVM and across a cluster. Failures are
 * {@link io.filterscope.server.ApiError}s.
 */
public final class ComputeApi {
    /** How long a caller waits for a worker's answer to anything but a start. */
    public static final long TIMEOUT_MS = 120_000;
    /**
     * How long a start may take: the model's first read, its example pictures scored and its network compiled, which for
     * a large model on a busy machine took up to 112 s. Its client hears {@code preparing} meanwhile, and a worker that
     * dies is found by its missed heartbeats within seconds (the start then fails at once), so the wait can be long.
     */
    public static final long START_TIMEOUT_MS = 300_000;
    /** How long a front's own callers wait: its dispatcher answers within its workers' time-outs, a start's included. */
    public static final long FRONT_TIMEOUT_MS = START_TIMEOUT_MS + 10_000;

    private ComputeApi() {
    }

    /** What both a front's dispatcher and a worker answer: runs and questions about models. */
    public interface Runs {
        /** Accepts a run: it starts now, or waits in the queue. */
        Future<Accepted> start(StartRun request);

        /** Ends a run with "stopped"; false when there was no such run. */
        Future<Boolean> stop(String run);

        Future<ServerEvent.Updated> update(UpdateRun request);

        Future<RunList> list();

        /** The models in the worker's folder, read now (on a worker thread: reading files needs no device). */
        Future<Answers.ModelList> models();

        Future<Answers.ModelDetail> model(ModelRequest request);

        Future<Answers.ActivationMaps> activations(MapsRequest request);

        /** One channel's map as a colour-mapped PNG. */
        Future<byte[]> activationMap(MapsRequest request);

        Future<Answers.Examples> examples(ExamplesRequest request);

        /** What the model predicts for an uploaded image and which pixels one class rests on. */
        Future<Answers.Attribution> attribution(AttributionRequest request);
    }

    /** A front node's computing, as its dispatcher answers it. */
    public interface Front extends Runs {
        Future<Answers.Health> health();

        /** Stops every run this front placed (on shutdown); returns how many. */
        Future<Integer> stopAll();
    }

    /** One compute worker. */
    public interface Worker extends Runs {
        /** Its heartbeat, now: answered without waiting for the device. */
        Future<WorkerStatus> status();
    }

    /**
     * @param front  the id of the front node whose client started it (workers stop runs of a front that died)
     * @param client who started it (an IP address): workers share their places fairly between clients
     */
    public record StartRun(String run, String front, String client, ClientMessage.Start start) {
        public StartRun withFront(String id) {
            return new StartRun(run, id, client, start);
        }
    }

    /**
     * @param position the place in the queue (1 is next), 0 when it runs at once; the client learns it from the run's own
     *                 {@code queued} event, which the worker sends with the run's other events
     */
    public record Accepted(String run, int position) {
    }

    /** @param params new settings or null; @param pace new steps per second (0: full speed) or null */
    public record UpdateRun(String run, JsonNode params, Integer pace) {
    }

    public record RunList(List<RunSummary> runs) {
    }

    /** @param client who asks (an IP address), for the worker's fair share of its time between clients */
    public record ModelRequest(String model, String client) {
    }

    /**
     * @param image     the uploaded file's bytes; {@code channel} only for {@link Runs#activationMap} (a whole number
     *                  from 0 as the client wrote it, digits of any length: the model's range is checked on the worker)
     * @param maxPixels the front's limit on width x height, checked from the image's header before decoding
     * @param maxSide   the front's limit on width and height, each
     * @param eachMap   for {@link Runs#activations}: every channel's map in the answer too ({@code maps=png})
     */
    public record MapsRequest(String model, String layer, byte[] image, String channel, String client, int maxPixels,
                              int maxSide, boolean eachMap) {
    }

    /** @param filter a whole number from 0 as the client wrote it, digits of any length: the model's range is checked on the worker */
    public record ExamplesRequest(String model, String layer, String filter, int n, String client) {
    }

    /**
     * @param method gradcam, saliency or smoothgrad
     * @param cls    the class to explain (a whole number from 0 as the client wrote it, digits of any length, checked
     *               against the model), null for the top prediction
     * @param layer  Grad-CAM's layer, null for the output of the last convolution block
     * @param image  the uploaded file's bytes
     * @param client who asks (for the worker's fair share), as in {@link MapsRequest}
     * @param maxPixels, maxSide the front's limits on the decoded image
     */
    public record AttributionRequest(String model, String method, String cls, String layer, byte[] image, String client,
                                     int maxPixels, int maxSide) {
    }
}
