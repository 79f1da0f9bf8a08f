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
 * and settings. The batch borrows one network with rows for all its members (and a few spare, for runs that
 * join later), and borrows another when members join or leave and it no longer fits (between steps).
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

        /** The work of a step of a network of this key for {@code images} images whose own work is {@code imageWork} ({@link Run#imageWork}). */
        DeviceSpeed.Work work(long images, long imageWork) {
            return new DeviceSpeed.Work(model.multiplyAddsFor(images, inputSize, layers), model.thinValuesFor(images, inputSize, layers),
                    imageWork);
        }
    }

    final Key key;
    /** The compute thread its members step on. */
    final ComputeThread on;
    /** Whether a step is under way (its network in use): no run joins it and its network stays until the step is over. */
    boolean inFlight;
    /**
     * Whether a network is being compiled for it off the worker's lock (inception_v3's for one image took about 5 s): no
     * run joins it until the network comes ({@link #offer}), and its members step meanwhile only if its network has a
     * row for each of them ({@link #awaitsNetwork}).
     */
    boolean compiling;
    /** Whether runs may join it now: its network is neither in use by a step nor being compiled for it. */
    boolean open() {
        return !inFlight && !compiling;
    }

    /** In the order they joined; each takes its images' rows of the network in this order. */
    final List<Run> members = new ArrayList<>();
    /** Borrowed from the model for the members' images, or null until the next step needs it. */
    Network network;

    Batch(Key key, ComputeThread on) {
        this.key = key;
        this.on = on;
    }

    /** How many images its members render: the network's batch. */
    int images() {
        return members.stream().mapToInt(Run::images).sum();
    }

    /** Multiply-adds of its members' images' own work in a step ({@link Run#imageWork}). */
    long imageWork() {
        return members.stream().mapToLong(r -> r.imageWork).sum();
    }

    /** Native memory its members reserved together ({@link Run#bytes}): what its network may take. */
    long reserved() {
        return members.stream().mapToLong(r -> r.bytes).sum();
    }

    /**
     * Rows to compile a network for when the members have {@code images} images: a few spare rows (up to a power
     * of two below 8, a multiple of 8 above), so that runs joining one by one do not each wait for a network to be
     * compiled. Spare rows are computed and ignored, and only taken where the members' reservations cover them.
     */
    static int roomFor(int images) {
        return images <= 8 ? Integer.highestOneBit(Math.max(1, images - 1)) << (images <= 1 ? 0 : 1) : (images + 7) / 8 * 8;
    }

    /** Whether its network has a row for every member's image, few spare ones, and fits what the members reserved. */
    boolean networkFits() {
        return fits(network);
    }

    /** Whether {@code net} (null: no) has a row for every member's image, few spare ones, and fits what the members reserved. */
    boolean fits(Network net) {
        int images = images();
        return net != null && net.batch() >= images && net.batch() <= roomFor(images) && key.model().bytesOf(net) <= reserved();
    }

    /**
     * Rows of the network that members of {@code key} with {@code images} images, who reserved {@code reserved} bytes
     * together, step on: {@link #roomFor} when those bytes cover them, else one per image.
     */
    static int rows(Key key, int images, long reserved) {
        return key.model().bytesFor(roomFor(images), key.inputSize(), key.layers()) <= reserved ? roomFor(images) : images;
    }

    /** Rows of the network its members step on now ({@link #rows(Key, int, long)}). */
    int rows() {
        return rows(key, images(), reserved());
    }

    /** A network with a row for every member's image (and perhaps a few spare), borrowed afresh when the members changed. */
    Network network() {
        if (!networkFits()) {
            drop();
            network = key.model().borrow(rows(), key.inputSize(), key.layers());
        }
        return network;
    }

    /**
     * A network to step its members on now without compiling: its network when it fits them, else one idle in the model's
     * cache that does, else the one it has if that has a row for each member (more rows, or more memory, than they
     * reserved: until one that fits is compiled); null when none has.
     */
    Network readyNetwork() {
        if (!networkFits()) {
            Network idle = key.model().idle(rows(), key.inputSize(), key.layers());
            if (idle != null || !usable(network)) {
                drop();
                network = idle;
            }
        }
        return network;
    }

    /** Whether {@code net} (null: no) has a row for each member's image. */
    private boolean usable(Network net) {
        return net != null && net.batch() >= images();
    }

    /** Whether its members wait for the network being compiled for it: the one it has lacks rows for some of them. */
    boolean awaitsNetwork() {
        return compiling && !usable(network);
    }

    /**
     * Takes {@code net} (compiled for it off the worker's lock) as its network when the one it has does not fit its
     * members and {@code net} does, or has a row for each of them where the one it has does not; else gives {@code net}
     * back to the model's cache (its members changed meanwhile).
     */
    void offer(Network net) {
        if (!networkFits() && (fits(net) || usable(net) && !usable(network))) {
            drop();
            network = net;
        } else {
            key.model().release(net);
        }
    }

    /** Gives the network back to the model's cache (members joined or left, or the batch is over). */
    void drop() {
        if (network != null) {
            key.model().release(network);
            network = null;
        }
    }
}
