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
    /** How long a caller waits for any answer: starting a run may first load a large model. */
    public static final long TIMEOUT_MS = 120_000;

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

        Future<Answers.ModelList> models();

        Future<Answers.ModelDetail> model(String id);

        Future<Answers.ActivationMaps> activations(MapsRequest request);

        /** One channel's map as a colour-mapped PNG. */
        Future<byte[]> activationMap(MapsRequest request);

        Future<Answers.Examples> examples(ExamplesRequest request);
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

    /** @param front the id of the front node whose client started it (workers stop runs of a front that died) */
    public record StartRun(String run, String front, ClientMessage.Start start) {
        public StartRun withFront(String id) {
            return new StartRun(run, id, start);
        }
    }

    /** @param position the place in the queue (1 is next), 0 when it runs at once */
    public record Accepted(String run, int position) {
    }

    public record UpdateRun(String run, JsonNode params) {
    }

    public record RunList(List<RunSummary> runs) {
    }

    /** @param image the uploaded file's bytes; {@code channel} only for {@link Runs#activationMap} */
    public record MapsRequest(String model, String layer, byte[] image, Integer channel) {
    }

    public record ExamplesRequest(String model, String layer, int filter, int n) {
    }
}
