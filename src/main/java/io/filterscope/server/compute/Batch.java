package io.filterscope.server.compute;

import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.BatchObjective;
import io.filterscope.engine.render.RunParts;
import io.filterscope.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Running runs that step together in one minibatch ({@link io.filterscope.engine.render.BatchedAscent}): those
 * of one model whose networks would be the same but for the batch size. Each member keeps its own
 * parameterization, transforms, optimizer, regularizers, seed and step count, so members may differ in preset
 * and settings. The batch borrows one network with rows for all its members, and borrows it again at the new
 * size when members join or leave (between steps).
 */
final class Batch {
    /**
     * What runs must share to step together: the model (the loaded instance: a model loaded again is another),
     * the network's input size in pixels (the image's size plus what its transforms add, such as a pad) and the
     * layers the objectives read (so no run pays for layers deeper than its own).
     */
    record Key(LoadedModel model, int inputSize, Set<String> layers) {
        /** The key of a run of {@code request} with {@code parts} (its preset's, with its updates applied). */
        static Key of(RunRequest request, RunParts parts) {
            return new Key(request.model(), parts.inputSize(request.size()),
                    Set.copyOf(new BatchObjective(request.objectives(), parts.penalty()).layers()));
        }
    }

    final Key key;
    /** In the order they joined; each takes its images' rows of the network in this order. */
    final List<Run> members = new ArrayList<>();
    /** Borrowed from the model for the members' images, or null until the next step needs it. */
    Network network;

    Batch(Key key) {
        this.key = key;
    }

    /** How many images its members render: the network's batch. */
    int images() {
        return members.stream().mapToInt(Run::images).sum();
    }

    /** A network with a row for every member's image, borrowed afresh when the members changed. */
    Network network() {
        if (network != null && network.batch() != images()) {
            drop();
        }
        if (network == null) {
            network = key.model().borrow(images(), key.inputSize());
        }
        return network;
    }

    /** Gives the network back to the model's cache (members joined or left, or the batch is over). */
    void drop() {
        if (network != null) {
            key.model().release(network);
            network = null;
        }
    }
}
