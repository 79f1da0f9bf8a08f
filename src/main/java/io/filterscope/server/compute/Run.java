package io.filterscope.server.compute;

import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.ClassObjective;
import io.filterscope.engine.objective.NeuronObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.server.protocol.RunSummary;

/** One run as the worker tracks it: its request, and once it has a place on the device, its ascent. */
final class Run {
    final String id;
    /** What was asked, with every update applied since. */
    RunRequest request;
    AscentRun ascent;
    /** Borrowed from the model while the run is active. */
    io.filterscope.engine.net.Network network;
    double[] lastValues;
    /** Whether the frames just sent were JPEG, so a stop must send a final PNG. */
    boolean lastFramesLossy;

    Run(String id, RunRequest request) {
        this.id = id;
        this.request = request;
    }

    String state() {
        return ascent == null ? "queued" : "running";
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
        return new RunSummary(id, request.model().id(), state(), step(), request.steps(), request.objectives().size());
    }
}
