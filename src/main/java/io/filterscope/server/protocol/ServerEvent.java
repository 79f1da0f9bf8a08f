package io.filterscope.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/**
 * What the server sends a client as text frames, its kind named by {@code "type"}. Compute workers make the
 * events of a run ({@link Preparing}, {@link Queued}, {@link Started}, {@link Done}); the session adds the start's tag.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ServerEvent.Queued.class, name = "queued"),
        @JsonSubTypes.Type(value = ServerEvent.Preparing.class, name = "preparing"),
        @JsonSubTypes.Type(value = ServerEvent.Started.class, name = "started"),
        @JsonSubTypes.Type(value = ServerEvent.Updated.class, name = "updated"),
        @JsonSubTypes.Type(value = ServerEvent.Done.class, name = "done"),
        @JsonSubTypes.Type(value = ServerEvent.Error.class, name = "error"),
        @JsonSubTypes.Type(value = ServerEvent.Runs.class, name = "runs"),
        @JsonSubTypes.Type(value = ServerEvent.Watching.class, name = "watching"),
        @JsonSubTypes.Type(value = ServerEvent.Unwatched.class, name = "unwatched")})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerEvent {

    /** An event of one run, which the session forwards to everyone who sees the run. */
    sealed interface RunEvent extends ServerEvent {
        String run();

        /** The same event with the start's tag, for the events a client's start caused. */
        default RunEvent withTag(JsonNode tag) {
            return this;
        }
    }

    /** The device is full: the run waits at {@code position} (1 is next). */
    record Queued(String run, int position, JsonNode tag) implements RunEvent {
        @Override
        public Queued withTag(JsonNode t) {
            return new Queued(run, position, t);
        }
    }

    /**
     * The run waits before it can be started or queued, for {@code reason}, in words for the page: its model is being read
     * ("loading model inception_v3") or its network compiled ("compiling inception_v3 for 1 image of 299 px"; "compiling
     * inception_v3 for a batch of 2 runs' images at 299 px" when it shares its batch with other runs).
     */
    record Preparing(String run, String reason, JsonNode tag) implements RunEvent {
        @Override
        public Preparing withTag(JsonNode t) {
            return new Preparing(run, reason, t);
        }
    }

    record Started(String run, JsonNode tag) implements RunEvent {
        @Override
        public Started withTag(JsonNode t) {
            return new Started(run, t);
        }
    }

    /** An update's params apply from the step after {@code step}. */
    record Updated(String run, int step) implements RunEvent {
    }

    /**
     * @param seconds how long it held a place on the device, from {@code started} to its end less any time paused:
     *               the pace the server gave it is {@code steps / seconds} (absent for a run that never started)
     * @param loss   the mean of {@code losses}, each image's last objective value (absent before a first step)
     * @param dead   the filters (or classes) that are dead ({@code AscentRun.dead}: they fire on no example picture, nor on their image)
     * @param flat   of a completed run of several filters of one layer at the model's own size, the live ones whose
     *               image is a flat colour that is their truth ({@code GalleryChecks.flatTruth}: the flat picture
     *               the filter prefers to every example picture, or one that no example or flat picture beats), so
     *               that a page can say so; absent otherwise
     * @param prefersFlat of such a run, each live filter that answers a flat colour more than every example picture
     *               ({@code FilterBaselines.prefersFlat}) and than its image, a picture like the data: the
     *               page shows the colour beside the tile; absent otherwise
     */
    record Done(String run, Reason reason, int steps, Double seconds, Double loss, List<Double> losses, List<Integer> dead, List<Integer> flat,
                List<FlatPreference> prefersFlat, String message)
            implements RunEvent {

        /**
         * @param colour {@code #rrggbb}
         * @param flat   the filter's mean activation on a picture of that colour
         * @param tile   its mean activation on its image as the frames carry it
         */
        public record FlatPreference(int filter, String colour, double flat, double tile) {
        }

        public enum Reason {
            COMPLETED, STOPPED, FAILED;

            @JsonValue
            public String wire() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        /** A run that ended before or without a step, e.g. on a worker that died. */
        public static Done failed(String run, String message) {
            return new Done(run, Reason.FAILED, 0, null, null, null, null, null, null, message);
        }
    }

    /** A message that could not be done; the connection stays open. */
    record Error(String code, String message, JsonNode tag) implements ServerEvent {
    }

    record Runs(List<RunSummary> runs) implements ServerEvent {
    }

    record Watching(String run) implements ServerEvent {
    }

    record Unwatched(String run) implements ServerEvent {
    }
}
