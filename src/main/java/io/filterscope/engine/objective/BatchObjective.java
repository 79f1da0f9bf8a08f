package io.filterscope.engine.objective;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import io.filterscope.engine.net.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The objectives of a minibatch: image i maximizes objective i, and every image also carries the same
 * {@code shared} term (a preset's penalties, such as {@code -0.3 * tv}), which shapes the gradient but is
 * left out of the values reported, so a value says how well the image does what was asked. When every
 * image has a channel objective on the same layer (a gallery), all values and gradients come from one mask
 * with 1/(h*w) on each image's own channel: two native ops instead of a few per image, which matters for
 * small models.
 */
public final class BatchObjective {
    private final List<Objective> perImage;
    private final Objective shared;
    private final Set<String> layers = new LinkedHashSet<>();
    private final String sharedLayer;
    private INDArray mask;

    /**
     * @param shared a term added to every image's objective, or null; a term on "the objectives' layer" (a
     *               preset's diversity) is bound to the one layer the per-image objectives read
     */
    public BatchObjective(List<Objective> perImage, Objective shared) {
        this.perImage = List.copyOf(perImage);
        perImage.forEach(o -> layers.addAll(o.layers()));
        this.shared = shared == null ? null : shared.on(layers.size() == 1 ? layers.iterator().next() : null);
        boolean channels = perImage.stream().allMatch(o -> o instanceof ChannelObjective) && layers.size() == 1;
        this.sharedLayer = channels ? layers.iterator().next() : null;
        if (this.shared != null) {
            layers.addAll(this.shared.layers());
        }
    }

    /** The same objectives with another shared term. */
    public BatchObjective withShared(Objective next) {
        return new BatchObjective(perImage, next);
    }

    /** Every layer the objectives read. */
    public Set<String> layers() {
        return layers;
    }

    /** Whether any term reads the image itself, so the run must give it an image gradient. */
    public boolean readsImage() {
        return perImage.stream().anyMatch(Objective::readsImage) || shared != null && shared.readsImage();
    }

    public List<Objective> objectives() {
        return perImage;
    }

    /** After a forward pass: fills the gradients and returns each image's own objective value. */
    public double[] evaluate(StepTensors t) {
        t.clearGradients(layers);
        double[] values;
        if (sharedLayer != null && t.output(sharedLayer).rank() == 4) {
            values = evaluateByMask(t);
        } else {
            values = new double[perImage.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = perImage.get(i).evaluate(t, i, 1.0);
            }
        }
        if (shared != null) {
            shared.evaluateAll(t, 1.0);
        }
        return values;
    }

    /**
     * Evaluates the objectives of several runs sharing a network's batch after its forward pass (the layer's gradients
     * cleared), each run's on its images' rows {@code [firsts[r], firsts[r] + n)}, with one mask over the whole batch
     * where each run's {@link #evaluate} makes its own: three native ops for all the runs, the mask made again only when
     * the runs or their rows change ({@link Network#channelMask}). Each image's value is the sum of its own row, so it
     * comes out as the run's own evaluation gives it. Rows of no run get no gradient.
     *
     * @param objectives each with the same {@link #maskedLayer}
     * @return each run's values, in order
     * @throws IllegalArgumentException when one is not masked or they read different layers
     */
    public static double[][] evaluateTogether(Network net, List<BatchObjective> objectives, int[] firsts) {
        String layer = objectives.get(0).sharedLayer;
        if (objectives.stream().anyMatch(o -> !o.masked() || !o.sharedLayer.equals(layer))) {
            throw new IllegalArgumentException("only channel objectives on one layer, with no shared term, are evaluated together");
        }
        int[] channels = new int[(int) net.batch()];
        java.util.Arrays.fill(channels, -1);
        for (int r = 0; r < objectives.size(); r++) {
            List<Objective> own = objectives.get(r).perImage;
            for (int i = 0; i < own.size(); i++) {
                channels[firsts[r] + i] = ((ChannelObjective) own.get(i)).filter();
            }
        }
        double[] all = Network.maskedSums(net.output(layer), net.gradient(layer), net.channelMask(layer, channels));
        double[][] values = new double[objectives.size()][];
        for (int r = 0; r < values.length; r++) {
            values[r] = java.util.Arrays.copyOfRange(all, firsts[r], firsts[r] + objectives.get(r).perImage.size());
        }
        return values;
    }

    /**
     * The layer of feature maps whose one mask {@link #evaluate} takes, every image a channel objective of it with no
     * shared term, so that it can be evaluated {@link #evaluateTogether} with other runs' on that layer; else null.
     */
    public String maskedLayer(Network net) {
        return masked() && net.output(sharedLayer) != null && net.output(sharedLayer).rank() == 4 ? sharedLayer : null;
    }

    private boolean masked() {
        return sharedLayer != null && shared == null;
    }

    private double[] evaluateByMask(StepTensors t) {
        INDArray out = t.output(sharedLayer);
        if (mask == null) {
            // Stored as the gradient it is placed in: a plain mask beside a channels-last gradient took the slow paths.
            mask = Network.zerosLike(t.gradient(sharedLayer));
            double share = 1.0 / (out.size(2) * out.size(3));
            for (int i = 0; i < perImage.size(); i++) {
                int filter = ((ChannelObjective) perImage.get(i)).filter();
                mask.get(NDArrayIndex.point(i), NDArrayIndex.point(filter)).assign(share);
            }
        }
        return Network.maskedSums(out, t.gradient(sharedLayer), mask);
    }
}
