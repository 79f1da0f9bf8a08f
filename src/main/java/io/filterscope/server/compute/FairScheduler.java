package io.filterscope.server.compute;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decides what a compute worker does next so that no client starves another: a fair queue by compute time
 * used (start-time fair queueing, as in Goyal et al. 1996 and Linux's CFS). Each lane adds up the time its
 * work took, and the busy lane that has used least goes next; a lane that was idle rejoins at the least
 * time of the busy ones, so idling earns no credit.
 * <p>
 * The lanes are each client's running runs (its runs take turns a step at a time), and one lane for all
 * HTTP queries, within which each client's queries are again fair to the others'. The query lane weighs
 * a quarter of a client ({@link #QUERY_WEIGHT}: its time counts four times), so with R clients' runs busy a
 * client's runs get at least 1 / (R + 1/4) of the device and queries together at most a quarter of that,
 * however many clients send them: two runs keep 44% each beside a stream of queries, one keeps 80%. A client
 * with four runs gets no more of the device than a client with one. Nothing is preempted, yet a run's wait
 * between two of its steps is bounded: each other client's runs catch up with it, about one step of theirs
 * and one of its, and the queries by about one query and a quarter of a step of its. Plain state with times
 * passed in, so it is tested without a device; each compute thread has one ({@link ComputeThread}), used under its
 * worker's lock.
 *
 * @param <R> a run
 * @param <Q> a query
 */
final class FairScheduler<R, Q> {
    /**
     * The query lane's weight beside one client's runs (weight 1): a query's compute time is counted
     * {@code 1 / QUERY_WEIGHT} times against the lane. Runs are what a class watches; a query is one answer,
     * and on a 2-core server each running run's pace is bounded by its share (docs/performance.md, "Soak").
     */
    static final double QUERY_WEIGHT = 0.25;

    /** Compute time used, in nanoseconds, and the work waiting. */
    private static final class Lane<T> {
        long used;
        final ArrayDeque<T> work = new ArrayDeque<>();
    }

    /** One piece of work: a step of {@code run} or the query {@code query} (exactly one is set). */
    record Turn<R, Q>(String client, R run, Q query) {
    }

    private final Map<String, Lane<R>> runs = new LinkedHashMap<>();
    private final Lane<String> queryLane = new Lane<>();
    private final Map<String, Lane<Q>> queries = new LinkedHashMap<>();

    void addRun(String client, R run) {
        Lane<R> lane = runs.computeIfAbsent(client, c -> new Lane<>());
        if (lane.work.isEmpty()) {
            lane.used = Math.max(lane.used, leastUsed());
        }
        lane.work.add(run);
    }

    void removeRun(String client, R run) {
        Lane<R> lane = runs.get(client);
        if (lane != null) {
            lane.work.remove(run);
        }
    }

    void addQuery(String client, Q query) {
        if (queryLane.work.isEmpty()) {
            queryLane.used = Math.max(queryLane.used, leastUsed());
        }
        Lane<Q> lane = queries.computeIfAbsent(client, c -> new Lane<>());
        if (lane.work.isEmpty()) {
            lane.used = Math.max(lane.used, queries.values().stream().filter(l -> !l.work.isEmpty())
                    .mapToLong(l -> l.used).min().orElse(lane.used));
        }
        lane.work.add(query);
        queryLane.work.add(client);
    }

    boolean hasWork() {
        return !queryLane.work.isEmpty() || runs.values().stream().anyMatch(l -> !l.work.isEmpty());
    }

    int queriesWaiting() {
        return queryLane.work.size();
    }

    /**
     * What to do next (a query taken off its queue, or a run whose step is next), or null when idle or when no
     * run is {@code ready} (a paced run waits between its steps) and no query waits.
     */
    Turn<R, Q> next(java.util.function.Predicate<R> ready) {
        String client = null;
        Lane<R> runLane = null;
        for (Map.Entry<String, Lane<R>> e : runs.entrySet()) {
            if (e.getValue().work.stream().anyMatch(ready) && (runLane == null || e.getValue().used < runLane.used)) {
                runLane = e.getValue();
                client = e.getKey();
            }
        }
        if (!queryLane.work.isEmpty() && (runLane == null || queryLane.used <= runLane.used)) {
            String asker = null;
            Lane<Q> lane = null;
            for (Map.Entry<String, Lane<Q>> e : queries.entrySet()) {
                if (!e.getValue().work.isEmpty() && (lane == null || e.getValue().used < lane.used)) {
                    lane = e.getValue();
                    asker = e.getKey();
                }
            }
            queryLane.work.remove(asker);
            return new Turn<>(asker, null, lane.work.poll());
        }
        if (runLane == null) {
            return null;
        }
        // The lane's runs take turns: rotate to its first ready run and put it at the back.
        R run = runLane.work.poll();
        while (!ready.test(run)) {
            runLane.work.add(run);
            run = runLane.work.poll();
        }
        runLane.work.add(run);
        return new Turn<>(client, run, null);
    }

    /** Counts {@code nanos} of compute time against the lane (and client) whose turn it was. */
    void charge(Turn<R, Q> turn, long nanos) {
        if (turn.query() != null) {
            queryLane.used += (long) (nanos / QUERY_WEIGHT);
            Lane<Q> lane = queries.get(turn.client());
            if (lane != null) {
                lane.used += nanos;
            }
        } else {
            chargeRuns(Map.of(turn.client(), nanos));
            return;
        }
        forgetIdle();
    }

    /**
     * Counts a step that served runs of several clients at once (a batch): each client's lane is charged the
     * nanoseconds given for it, its share of the step.
     */
    void chargeRuns(Map<String, Long> nanosByClient) {
        nanosByClient.forEach((client, nanos) -> {
            Lane<R> lane = runs.get(client);
            if (lane != null) {
                lane.used += nanos;
            }
        });
        forgetIdle();
    }

    /** The least time used by a busy lane: where a lane that was idle starts again. */
    private long leastUsed() {
        long least = Long.MAX_VALUE;
        for (Lane<R> l : runs.values()) {
            if (!l.work.isEmpty()) {
                least = Math.min(least, l.used);
            }
        }
        if (!queryLane.work.isEmpty()) {
            least = Math.min(least, queryLane.used);
        }
        return least == Long.MAX_VALUE ? 0 : least;
    }

    /**
     * Idle lanes owe nothing once the busy ones have caught up with them, and nothing at all when every lane
     * is idle: they are dropped, so clients that come and go leave nothing behind.
     */
    private void forgetIdle() {
        if (!hasWork()) {
            runs.clear();
            queries.clear();
            queryLane.used = 0;
            return;
        }
        long least = leastUsed();
        for (Iterator<Lane<R>> it = runs.values().iterator(); it.hasNext(); ) {
            Lane<R> l = it.next();
            if (l.work.isEmpty() && l.used <= least) {
                it.remove();
            }
        }
        long leastQuery = queries.values().stream().filter(l -> !l.work.isEmpty()).mapToLong(l -> l.used).min().orElse(Long.MAX_VALUE);
        queries.values().removeIf(l -> l.work.isEmpty() && l.used <= leastQuery);
    }
}
