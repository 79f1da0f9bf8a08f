package io.filterscope.server.protocol;

import java.util.List;

/**
 * A compute worker's heartbeat and its answer to a status request: who it is, the node it runs on, its device,
 * the models it has, how busy it is and its runs (running first). {@code leaving} is true on the last beat of a
 * worker that shuts down cleanly. {@code state} is "ok", "wedged", "dead" or "out_of_memory", with a
 * {@code detail} when not ok; the memory figures are bytes of its budget, held by runs, and of cached networks.
 */
public record WorkerStatus(String id, String node, String backend, String device, List<String> models, int runsActive,
                           int runsQueued, List<String> runs, boolean leaving, String state, String detail,
                           long memoryBudget, long memoryReserved, long networksCached) {
    public boolean ok() {
        return "ok".equals(state);
    }
}
