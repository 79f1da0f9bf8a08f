package io.filterscope.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The JSON header of a binary frame: one image of one step. {@code index} is the image's place in a
 * batched run, {@code filter} its filter or class, {@code loss} the objective's value at that step,
 * {@code last} true on a run's final frames, {@code mime} "image/png" or "image/jpeg".
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FrameHeader(String run, int step, int index, int filter, Double loss, boolean last, int width, int height,
                          String mime) {
}
