package io.filterscope.model;

import io.filterscope.UserError;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.ClassObjective;
import io.filterscope.engine.objective.NeuronObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.ExamplePictures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A model's example set seen through its layers: per layer, every channel's mean and largest activation on
 * every example picture (computed once per layer, a slice of pictures at a time), so a channel's (or class's) top
 * pictures are found and averaged for a start image, and a filter that never fires on any picture is known.
 * {@code /api/models/{id}/examples} ranks pictures by the same means, scoring them a slice per piece of the
 * compute thread's work ({@link #scoreSlice}) so that runs step in between.
 */
public final class ExampleActivations implements ExamplePictures {
    /**
     * Pictures scored in one piece of work. On one thread (a 2-core server's compute thread) a picture costs the
     * same at minibatches of 32 to 250 (fashion-cnn to conv4: 0.4-0.5 ms of CPU a picture, 2,000 pictures in 0.7-1.0
     * s; emoji-cnn at 64 px 0.8 ms a picture to conv4), so a slice of 32 is 15-30 ms: a few steps of a run.
     */
    public static final int SLICE = 32;

    private final LoadedModel model;
    private final Map<String, Scores> byLayer = new HashMap<>();
    /**
     * The network scoring a layer's pictures, kept from one slice to the next and given back to the model once the
     * layer is scored (or a slice failed), or null. The store's cache need not keep a network for 32 pictures (a
     * quarter of a small memory budget): borrowed a slice at a time, each slice compiled one, and with a 30 MB budget
     * the collector came for them so late that one run's scoring grew the server by 3.1-3.3 GB resident. One
     * whose scoring was abandoned stays until the next slice of another batch size.
     */
    private Network scoring;

    /** A layer's scores so far: per example and channel, mean and largest activation, [examples, channels] each. */
    private static final class Scores {
        final INDArray means;
        final INDArray maxima;
        /** Examples scored, from the first: rows [0, scored) are filled. */
        int scored;

        Scores(long examples, long channels) {
            means = Nd4j.create(DataType.FLOAT, examples, channels);
            maxima = Nd4j.create(DataType.FLOAT, examples, channels);
        }

        boolean complete() {
            return scored == means.rows();
        }
    }

    ExampleActivations(LoadedModel model) {
        this.model = model;
    }

    /**
     * Native memory, in bytes, that scoring the pictures takes at most, by {@link LoadedModel#forwardBytesFor}: the network
     * {@link #scoreSlice(String, int)} borrows ({@link #network}) for its largest slice, on which no run steps. The scores
     * themselves (8 bytes per picture and channel of a layer: 0.1 MB for emoji-cnn's classes) and the pictures, on the Java
     * heap, are not counted. 0 for a model without example pictures, for which none are scored.
     */
    public long scoringBytes() {
        return model.metadata().examples() == null ? 0 : model.forwardBytesFor(SLICE, model.height());
    }

    /** The network that scores a slice of {@code batch} pictures: the whole model at its own size, whichever layer is scored. */
    private Network network(int batch) {
        return model.borrow(batch, model.height());
    }

    @Override
    public float[][] topMeans(List<Objective> objectives, int size, int k) {
        LabeledImages examples = examples();
        if (examples == null || size != examples.height() || size != examples.width()) {
            return null;
        }
        float[][] out = new float[objectives.size()][];
        for (int i = 0; i < out.length; i++) {
            Target t = target(objectives.get(i));
            if (t == null) {
                continue;
            }
            double[] means = stats(t.layer()).means.getColumn(t.channel()).toDoubleVector();
            Integer[] order = new Integer[means.length];
            Arrays.setAll(order, j -> j);
            Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -means[j]));
            int n = Math.min(k, order.length);
            float[] mean = new float[examples.pixels()[0].length];
            for (int r = 0; r < n; r++) {
                float[] p = examples.pixels()[order[r]];
                for (int j = 0; j < mean.length; j++) {
                    mean[j] += p[j] / n;
                }
            }
            out[i] = mean;
        }
        return out;
    }

    @Override
    public boolean scoreSlice(List<Objective> objectives, int size) {
        LabeledImages examples = examples();
        if (examples == null || size != examples.height() || size != examples.width()) {
            return true;
        }
        for (Objective o : objectives) {
            Target t = target(o);
            if (t != null && !scoreSlice(t.layer(), SLICE)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether every picture is scored at the layers of {@code objectives} ({@link #scoreSlice}), found without scoring or
     * reading any: an objective on no layer's channel has none to score.
     */
    public synchronized boolean scored(List<Objective> objectives) {
        return objectives.stream().map(ExampleActivations::target)
                .allMatch(t -> t == null || byLayer.containsKey(t.layer()) && byLayer.get(t.layer()).complete());
    }

    @Override
    public Boolean fires(Objective objective) {
        Target t = target(objective);
        if (t == null || examples() == null) {
            return null;
        }
        return stats(t.layer()).maxima.getColumn(t.channel()).maxNumber().doubleValue() > AscentRun.DEAD_BELOW;
    }

    /** The layer and channel whose activation an objective is, or null for other objectives. */
    private record Target(String layer, int channel) {
    }

    private static Target target(Objective o) {
        if (o instanceof ChannelObjective c) {
            return new Target(c.layer(), c.filter());
        }
        if (o instanceof NeuronObjective n) {
            return new Target(n.layer(), n.filter());
        }
        if (o instanceof ClassObjective c) {
            return new Target(c.outputLayer(), c.index());
        }
        return null;
    }

    private LabeledImages examples() {
        try {
            LabeledImages examples = model.examples();
            return examples != null && examples.channels() == model.channels() ? examples : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Per example and channel, the layer's mean activation: [examples, channels], example by example in the
     * order of {@link LoadedModel#examples}. Scores what {@link #scoreSlice} left unscored, all at once.
     *
     * @throws UserError when the layer cannot be computed at the model's own size
     */
    public INDArray means(String layer) {
        return stats(layer).means;
    }

    private Scores stats(String layer) {
        while (!scoreSlice(layer, SLICE)) {
            // one slice after another, on one network
        }
        return byLayer.get(layer);
    }

    /**
     * Scores the next pictures at {@code layer}: at most {@link #SLICE} and at most {@code maxBatch} of them (a
     * network for fewer takes less memory), one bounded piece of work. Returns whether every picture is scored
     * now (at once when they were already).
     *
     * @throws UserError when the layer cannot be computed at the model's own size
     */
    public synchronized boolean scoreSlice(String layer, int maxBatch) {
        Scores known = byLayer.get(layer);
        if (known != null && known.complete()) {
            return true;
        }
        int batch = Math.max(1, Math.min(SLICE, maxBatch));
        if (scoring != null && scoring.batch() != batch) {
            model.release(scoring);
            scoring = null;
        }
        if (scoring == null) {
            scoring = network(batch);
        }
        boolean more = false;
        try {
            more = !scoreSlice(layer, scoring);
            return !more;
        } finally {
            if (!more) {
                model.release(scoring);
                scoring = null;
            }
        }
    }

    /** Scores the next pictures at {@code layer}, as many as {@code net}'s batch; returns whether every picture is scored now. */
    private boolean scoreSlice(String layer, Network net) {
        Scores known = byLayer.get(layer);
        LabeledImages examples = examples();
        int batch = (int) net.batch();
        if (net.layer(layer) == null) {
            throw new UserError(net.unavailable(layer));
        }
        long channels = net.layer(layer).channels();
        Scores scores = known != null ? known : new Scores(examples.size(), channels);
        int from = scores.scored;
        int count = Math.min(batch, examples.size() - from); // the last slice's other rows stay blank
        int side = examples.channels() * examples.height() * examples.width();
        float[] flat = new float[batch * side];
        for (int i = 0; i < count; i++) {
            System.arraycopy(examples.pixels()[from + i], 0, flat, i * side, side);
        }
        net.input().assign(model.inputSpace().toInput(
                Nd4j.create(flat, new long[] {batch, examples.channels(), examples.height(), examples.width()})));
        net.forward(List.of(layer));
        INDArray out = net.output(layer);
        INDArray rows = out.rank() == 4 ? out.reshape('c', batch, channels, out.size(2) * out.size(3)) : null;
        INDArray mean = rows == null ? out : rows.mean(2);
        INDArray max = rows == null ? out : rows.max(2);
        scores.means.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all())
                .assign(mean.get(NDArrayIndex.interval(0, count), NDArrayIndex.all()));
        scores.maxima.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all())
                .assign(max.get(NDArrayIndex.interval(0, count), NDArrayIndex.all()));
        scores.scored = from + count;
        byLayer.put(layer, scores);
        return scores.complete();
    }
}
