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
 * every example picture (computed once per layer, a minibatch at a time), so a channel's (or class's) top
 * pictures are found and averaged for a start image, and a filter that never fires on any picture is known.
 * Pictures rank by the channel's mean activation, as {@code /api/models/{id}/examples} ranks them.
 */
final class ExampleActivations implements ExamplePictures {
    private static final int BATCH = 250;

    private final LoadedModel model;
    private final Map<String, INDArray[]> byLayer = new HashMap<>();

    ExampleActivations(LoadedModel model) {
        this.model = model;
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
            double[] means = stats(t.layer())[0].getColumn(t.channel()).toDoubleVector();
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
    public Boolean fires(Objective objective) {
        Target t = target(objective);
        if (t == null || examples() == null) {
            return null;
        }
        return stats(t.layer())[1].getColumn(t.channel()).maxNumber().doubleValue() > AscentRun.DEAD_BELOW;
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

    /** Per example and channel, the layer's mean and largest activation: two [examples, channels] arrays. */
    private synchronized INDArray[] stats(String layer) {
        INDArray[] known = byLayer.get(layer);
        if (known != null) {
            return known;
        }
        LabeledImages examples = examples();
        Network net = model.borrow(BATCH, model.height());
        try {
            if (net.layer(layer) == null) {
                throw new UserError(net.unavailable(layer));
            }
            long channels = net.layer(layer).channels();
            INDArray means = Nd4j.create(DataType.FLOAT, examples.size(), channels);
            INDArray maxima = Nd4j.create(DataType.FLOAT, examples.size(), channels);
            int side = examples.channels() * examples.height() * examples.width();
            for (int from = 0; from < examples.size(); from += BATCH) {
                int count = Math.min(BATCH, examples.size() - from);
                float[] flat = new float[BATCH * side];
                for (int i = 0; i < count; i++) {
                    System.arraycopy(examples.pixels()[from + i], 0, flat, i * side, side);
                }
                net.input().assign(model.inputSpace().toInput(
                        Nd4j.create(flat, new long[] {BATCH, examples.channels(), examples.height(), examples.width()})));
                net.forward(List.of(layer));
                INDArray out = net.output(layer);
                INDArray rows = out.rank() == 4 ? out.reshape('c', BATCH, channels, out.size(2) * out.size(3)) : null;
                INDArray mean = rows == null ? out : rows.mean(2);
                INDArray max = rows == null ? out : rows.max(2);
                means.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all())
                        .assign(mean.get(NDArrayIndex.interval(0, count), NDArrayIndex.all()));
                maxima.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all())
                        .assign(max.get(NDArrayIndex.interval(0, count), NDArrayIndex.all()));
            }
            INDArray[] stats = {means, maxima};
            byLayer.put(layer, stats);
            return stats;
        } finally {
            model.release(net);
        }
    }
}
