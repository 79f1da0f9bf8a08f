package io.filterscope.server.dispatch;

import io.filterscope.server.protocol.WorkerStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one dispatcher knows of the compute workers, from their heartbeats: who is alive, which models each
 * has, how busy each is, and which worker has each run this dispatcher placed. Plain state with an explicit
 * clock, so the rules (least loaded first, a silent worker is dead) are tested without a cluster.
 */
final class WorkerDirectory {
    /** A worker heard from: its last heartbeat and when it came. */
    private static final class Worker {
        WorkerStatus beat;
        long seenAt;
        /** The models it can load: as its last heartbeat named them, or as it listed them since ({@link #listed}). */
        List<String> models;

        boolean has(String model) {
            return model == null || models.contains(model);
        }

        /** Not wedged, dead or out of memory, as its last heartbeat said. */
        boolean healthy() {
            return beat.ok();
        }
    }

    /** Where a run went and when; {@code answered} once the worker has accepted it (its start may take seconds). */
    private record Placement(String worker, long at, boolean answered) {
    }

    private final long deadAfterMs;
    private final long checkEveryMs;
    private final Map<String, Worker> workers = new TreeMap<>();
    private final Map<String, Placement> runs = new HashMap<>();
    /** When {@link #expire} last ran, 0 before it first did. */
    private long checkedAt;

    /**
     * @param deadAfterMs  a worker silent this long while this dispatcher was awake is dead
     * @param checkEveryMs how often {@link #expire} is called; a call that comes later than that says this dispatcher
     *                     itself was held (a collection's pause, a process starved of processor or memory), time that
     *                     is not counted as anyone's silence
     */
    WorkerDirectory(long deadAfterMs, long checkEveryMs) {
        this.deadAfterMs = deadAfterMs;
        this.checkEveryMs = checkEveryMs;
    }

    /**
     * Records a heartbeat. Runs this dispatcher placed on the worker that the worker no longer lists have
     * ended and are forgotten; a run placed moments ago may be missing from a beat sent before it arrived, and
     * one whose start the worker has not answered yet is not listed at all (a start that first scores example
     * pictures takes seconds): forgetting it lost the client's stop, sent as soon as the run's first event came.
     */
    void heartbeat(WorkerStatus beat, long now) {
        String id = beat.id();
        if (beat.leaving()) {
            workers.remove(id);
            runs.values().removeIf(p -> p.worker().equals(id));
            return;
        }
        Worker w = workers.computeIfAbsent(id, k -> new Worker());
        w.beat = beat;
        w.models = beat.models();
        w.seenAt = now;
        List<String> listed = beat.runs();
        runs.entrySet().removeIf(e -> e.getValue().worker().equals(id) && e.getValue().answered() && !listed.contains(e.getKey())
                && now - e.getValue().at() > deadAfterMs);
    }

    /**
     * The least loaded live worker that has {@code model} (any worker when null), healthy ones first. One whose
     * last heartbeat said it was not ok is still picked when no other has the model: that beat may be a second
     * old, and the worker itself refuses at once (503) while it really cannot serve.
     */
    Optional<String> pick(String model) {
        return workers.entrySet().stream().filter(e -> e.getValue().has(model))
                .min(Comparator.comparing((Map.Entry<String, Worker> e) -> !e.getValue().healthy())
                        .thenComparingLong(e -> load(e.getKey(), e.getValue())))
                .map(Map.Entry::getKey);
    }

    /** Its runs as of its last heartbeat, plus runs placed there that the heartbeat did not list yet. */
    private long load(String id, Worker w) {
        List<String> listed = w.beat.runs();
        long unlisted = runs.entrySet().stream().filter(e -> e.getValue().worker().equals(id) && !listed.contains(e.getKey())).count();
        return w.beat.runsActive() + w.beat.runsQueued() + unlisted;
    }

    /** A run sent to {@code worker}, not yet accepted: kept until {@link #accepted} or {@link #forget}. */
    void place(String run, String worker, long now) {
        runs.put(run, new Placement(worker, now, false));
    }

    /** The worker accepted the run: from now on its heartbeats must list it within the grace period. */
    void accepted(String run, String worker, long now) {
        runs.put(run, new Placement(worker, now, true));
    }

    Optional<String> workerOf(String run) {
        Placement p = runs.get(run);
        return p == null ? Optional.empty() : Optional.of(p.worker());
    }

    void forget(String run) {
        runs.remove(run);
    }

    /** Runs this dispatcher placed, by worker. */
    Map<String, List<String>> placedRuns() {
        Map<String, List<String>> byWorker = new TreeMap<>();
        runs.forEach((run, p) -> byWorker.computeIfAbsent(p.worker(), k -> new ArrayList<>()).add(run));
        return byWorker;
    }

    /**
     * Removes workers silent for longer than the limit; returns, for each of them, the runs this dispatcher
     * had placed there (their clients must be told the run failed). Silence counts only while this dispatcher was
     * awake: when this call comes late, the workers' heartbeats of that time may still wait behind it (a worker in
     * the same process was held with it), so every worker is credited the delay.
     */
    Map<String, List<String>> expire(long now) {
        long held = checkedAt == 0 ? 0 : Math.max(0, now - checkedAt - checkEveryMs);
        checkedAt = now;
        workers.values().forEach(w -> w.seenAt += held);
        Map<String, List<String>> lost = new TreeMap<>();
        workers.entrySet().removeIf(e -> {
            if (now - e.getValue().seenAt <= deadAfterMs) {
                return false;
            }
            List<String> orphans = new ArrayList<>();
            runs.entrySet().removeIf(r -> {
                boolean mine = r.getValue().worker().equals(e.getKey());
                if (mine) {
                    orphans.add(r.getKey());
                }
                return mine;
            });
            lost.put(e.getKey(), orphans);
            return true;
        });
        return lost;
    }

    List<String> workerIds() {
        return List.copyOf(workers.keySet());
    }

    /** Model ids that some live worker has. */
    Set<String> models() {
        Set<String> all = new LinkedHashSet<>();
        workers.values().forEach(w -> all.addAll(w.models));
        return all;
    }

    /**
     * The models {@code worker} can load, as it listed them just now (its heartbeats name those it read from its folder
     * up to a few seconds before); kept until its next heartbeat, which will name them too. Unknown workers are ignored.
     */
    void listed(String worker, List<String> models) {
        Worker w = workers.get(worker);
        if (w != null) {
            w.models = List.copyOf(models);
        }
    }
}
