package io.filterscope.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One run as {@code list} shows it: {@code state} is "running", "queued" or "preparing" (its model loading, its layer's
 * first run scored or its network compiled: it can be watched already, at step 0); {@code images} its batch size;
 * {@code objective} as its start message gave it, so a watcher can tell (and set its own controls to) what it draws.
 */
public record RunSummary(String run, String model, String state, int step, int steps, int images, JsonNode objective) {
}
