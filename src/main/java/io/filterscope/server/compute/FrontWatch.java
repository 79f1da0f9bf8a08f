package io.filterscope.server.compute;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker's view of the front nodes whose runs it computes. Fronts publish heartbeats; a run whose front
 * has fallen silent has no client left to see it (its sockets lived on that front), so the worker stops it
 * rather than compute it to the end. Plain state with an explicit clock.
 */
final class FrontWatch {
    private final long deadAfterMs;
    private final Map<String, Long> frontSeenAt = new HashMap<>();
    private final Map<String, String> frontOfRun = new HashMap<>();

    FrontWatch(long deadAfterMs) {
        this.deadAfterMs = deadAfterMs;
    }

    void heard(String front, long now) {
        frontSeenAt.put(front, now);
    }

    /** A run arrived from {@code front}; the request itself shows the front is alive. */
    void started(String run, String front, long now) {
        frontOfRun.put(run, front);
        heard(front, now);
    }

    /**
     * The runs among {@code live} whose front has been silent too long. Runs no longer live are
     * forgotten, and so are fronts no run belongs to.
     */
    List<String> orphans(Collection<String> live, long now) {
        frontOfRun.keySet().retainAll(live);
        frontSeenAt.keySet().retainAll(frontOfRun.values());
        List<String> orphans = new ArrayList<>();
        frontOfRun.forEach((run, front) -> {
            if (now - frontSeenAt.getOrDefault(front, now) > deadAfterMs) {
                orphans.add(run);
            }
        });
        return orphans;
    }
}
