package io.filterscope.server.compute;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A worker's view of the front nodes whose runs it computes. Fronts publish heartbeats; a run whose front
 * has fallen silent has no client left to see it (its sockets lived on that front), so the worker stops it
 * rather than compute it to the end. Plain state with an explicit clock.
 */
final class FrontWatch {
    private final long deadAfterMs;
    private final Map<String, Long> frontSeenAt = new HashMap<>();
    private final Map<String, String> frontOfRun = new HashMap<>();
    /** Runs once seen among the worker's live runs. */
    private final Set<String> seenLive = new HashSet<>();

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
     * The runs whose front has been silent too long. A run that was among {@code live} and is no longer has
     * ended and is forgotten, and so are fronts no run belongs to. A run not live yet (its start still queued
     * on the compute thread behind a step or a compile) is kept: forgetting it then would leave it running for
     * ever once its front died. Such a run is reported once and forgotten; the stop queues behind its start.
     */
    List<String> orphans(Collection<String> live, long now) {
        frontOfRun.keySet().removeIf(run -> seenLive.contains(run) && !live.contains(run));
        seenLive.retainAll(frontOfRun.keySet());
        frontOfRun.keySet().stream().filter(live::contains).forEach(seenLive::add);
        frontSeenAt.keySet().retainAll(frontOfRun.values());
        List<String> orphans = new ArrayList<>();
        frontOfRun.forEach((run, front) -> {
            if (now - frontSeenAt.getOrDefault(front, now) > deadAfterMs) {
                orphans.add(run);
            }
        });
        orphans.stream().filter(run -> !seenLive.contains(run)).forEach(frontOfRun::remove);
        return orphans;
    }
}
