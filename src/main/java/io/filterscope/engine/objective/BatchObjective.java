package io.filterscope.engine.objective;

import io.filterscope.engine.Workspaces;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
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

    /** @param shared a term added to every image's objective, or null */
    public BatchObjective(List<Objective> perImage, Objective shared) {
        this.perImage = List.copyOf(perImage);
        this.shared = shared;
        perImage.forEach(o -> layers.addAll(o.layers()));
        boolean channels = perImage.stream().allMatch(o -> o instanceof ChannelObjective) && layers.size() == 1;
        this.sharedLayer = channels ? layers.iterator().next() : null;
        if (shared != null) {
            layers.addAll(shared.layers());
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

    private double[] evaluateByMask(StepTensors t) {
        INDArray out = t.output(sharedLayer);
        if (mask == null) {
            mask = Workspaces.persistent(out::like);
            double share = 1.0 / (out.size(2) * out.size(3));
            for (int i = 0; i < perImage.size(); i++) {
                int filter = ((ChannelObjective) perImage.get(i)).filter();
                mask.get(NDArrayIndex.point(i), NDArrayIndex.point(filter)).assign(share);
            }
        }
        t.gradient(sharedLayer).assign(mask);
        return out.mul(mask).sum(1, 2, 3).toDoubleVector();
    }
}
