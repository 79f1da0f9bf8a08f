package io.filterscope.server.compute;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.ClassObjective;
import io.filterscope.engine.objective.NeuronObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.server.protocol.RunSummary;

/**
 * One run as the worker tracks it: its request and client, and once it has had a place on the device, its
 * ascent. A run that waits has no ascent; a paused one (it gave its place to another client's run) keeps it.
 */
final class Run {
    final String id;
    /** Who asked for it: the client's address, or "" when unknown. */
    final String client;
    /** What was asked, with every update applied since. */
    RunRequest request;
    /** Its start message's objective, as the message gave it (for {@link #summary}). */
    final JsonNode objective;
    AscentRun ascent;
    /**
     * A network compiled for it off the worker's lock before its start ({@link ComputeService#startWhenScored}), until
     * its first place: its ascent is made on it when its batch has no network, and its batch takes it if it fits;
     * otherwise it goes back to the model's cache.
     */
    io.filterscope.engine.net.Network ahead;
    /** Whether it is computing now (rather than waiting, or paused): {@link #place}, {@link #unplace}. */
    boolean running;
    /** Nanoseconds it held a place before its current one, and when it got that ({@link System#nanoTime}). */
    private long heldNanos;
    private long heldSince;
    private boolean everPlaced;
    /** The runs it steps with while it runs (null while it waits or is paused). */
    Batch batch;
    /** The compute thread it steps on while it runs (its batch's). */
    ComputeThread on;
    /** Whether a step of it is under way on its thread (outside the worker's lock): nothing else touches it meanwhile. */
    boolean inFlight;
    /**
     * Native memory a network of its own would take ({@link io.filterscope.model.LoadedModel#bytesFor}), reserved
     * from its first place on the device until it ends, paused or not. Its batch's network takes at most the sum of
     * its members' (the weights are held once), so a batch fits wherever its runs did.
     */
    final long bytes;
    /** Multiply-adds of its images' own work in a step ({@link RunRequest#imageMultiplyAdds}), for step-time estimates. */
    final long imageWork;
    boolean holdsMemory;
    double[] lastValues;
    /** The place in the queue it was last told ({@code queued}), 0 while it has a place or before it waited. */
    int toldPosition;
    /** When its next step may run ({@link System#nanoTime}), for a paced run; unscheduled before its first paced step. */
    private long dueAt;
    private boolean scheduled;

    Run(String id, String client, RunRequest request, JsonNode objective, long bytes, long imageWork) {
        this.id = id;
        this.client = client;
        this.request = request;
        this.objective = objective;
        this.bytes = bytes;
        this.imageWork = imageWork;
    }

    /** It gets a place on the device at {@code now} ({@link System#nanoTime}). */
    void place(long now) {
        running = true;
        everPlaced = true;
        heldSince = now;
    }

    /** It gives its place up at {@code now}: paused or ended. */
    void unplace(long now) {
        if (running) {
            heldNanos += now - heldSince;
            running = false;
        }
    }

    /**
     * Seconds it held a place, from each {@code started} to its pause or end, so the pace the server gave it
     * ({@code steps / seconds}) without the time its messages take to reach the client; null before a first place.
     */
    Double secondsPlaced(long now) {
        return everPlaced ? (heldNanos + (running ? now - heldSince : 0)) / 1e9 : null;
    }

    /** Whether its next step may run now. */
    boolean due(long now) {
        return request.pace() == 0 || !scheduled || now - dueAt >= 0;
    }

    /**
     * After a step begun at {@code now}: the next is due one interval after this one was (so the average pace
     * holds), or one interval from now when the run fell more than an interval behind (never a burst to catch up).
     */
    void stepped(long now) {
        if (request.pace() == 0) {
            scheduled = false;
            return;
        }
        long interval = 1_000_000_000L / request.pace();
        dueAt = (!scheduled || now - dueAt > interval ? now : dueAt) + interval;
        scheduled = true;
    }

    /**
     * Whether it may step now with its batch: it is due, or due within half its interval (it then steps a little
     * early, and its next step is due one interval after this one should have been, so its pace holds). So paced
     * runs fall into the same steps as their batch instead of each taking one of its own.
     */
    boolean dueSoon(long now) {
        return due(now) || dueAt - now <= 500_000_000L / request.pace();
    }

    /** Nanoseconds until it is due (0 when it is). */
    long untilDue(long now) {
        return due(now) ? 0 : dueAt - now;
    }

    String state() {
        return running ? "running" : "queued";
    }

    int images() {
        return request.objectives().size();
    }

    int step() {
        return ascent == null ? 0 : ascent.stepsDone();
    }

    /** The filter (or class) index an image's frames are labelled with; its position for other objectives. */
    static int filterOf(Objective o, int index) {
        if (o instanceof ChannelObjective c) {
            return c.filter();
        }
        if (o instanceof NeuronObjective n) {
            return n.filter();
        }
        if (o instanceof ClassObjective c) {
            return c.index();
        }
        return index;
    }

    RunSummary summary() {
        return new RunSummary(id, request.model().id(), state(), step(), request.steps(), images(), objective);
    }
}
