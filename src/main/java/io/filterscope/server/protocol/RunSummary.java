package io.filterscope.server.protocol;

/** One run as {@code list} shows it: {@code state} is "running" or "queued"; {@code images} its batch size. */
public record RunSummary(String run, String model, String state, int step, int steps, int images) {
}
