package io.filterscope.server.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a client sends over the WebSocket: one JSON object per text frame, its kind named by {@code "op"}.
 * Every message may carry a {@code tag} (any JSON value), echoed on the answers to it. Fields a message
 * does not know are ignored, so newer clients still work with this server. Absent fields are null (and are
 * left out when a record crosses the cluster, so they come back null).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ClientMessage.Start.class, name = "start"),
        @JsonSubTypes.Type(value = ClientMessage.Stop.class, name = "stop"),
        @JsonSubTypes.Type(value = ClientMessage.Update.class, name = "update"),
        @JsonSubTypes.Type(value = ClientMessage.Watch.class, name = "watch"),
        @JsonSubTypes.Type(value = ClientMessage.Unwatch.class, name = "unwatch"),
        @JsonSubTypes.Type(value = ClientMessage.ListRuns.class, name = "list")})
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ClientMessage {

    JsonNode tag();

    /**
     * Starts a run. {@code objective} is the protocol's objective JSON ({@link ObjectiveSpecs} reads it
     * against the model's layers); {@code params} changes settings of the {@code preset}; absent numbers take
     * the settings schema's defaults.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Start(String model, JsonNode objective, Integer size, Integer steps, Integer seed, String preset,
                 JsonNode params, Integer pace, JsonNode tag) implements ClientMessage {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Stop(String run, JsonNode tag) implements ClientMessage {
    }

    /** New params and/or a new pace (steps per second, 0 for full speed) for a running (or waiting) run, from its next step on. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Update(String run, JsonNode params, Integer pace, JsonNode tag) implements ClientMessage {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Watch(String run, JsonNode tag) implements ClientMessage {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Unwatch(String run, JsonNode tag) implements ClientMessage {
    }

    /** {@code {"op":"list"}}: every run the workers have. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ListRuns(JsonNode tag) implements ClientMessage {
    }
}
