package io.filterscope.server.protocol;

import java.util.List;

/**
 * A compute worker's heartbeat and its answer to a status request: who it is, its device, the models it has,
 * how busy it is and its runs (running first). {@code leaving} is true on the last beat of a worker that
 * shuts down cleanly.
 */
public record WorkerStatus(String id, String backend, String device, List<String> models, int runsActive, int runsQueued,
                           List<String> runs, boolean leaving) {
}
