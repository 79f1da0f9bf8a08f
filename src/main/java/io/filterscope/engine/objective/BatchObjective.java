package io.filterscope.engine.objective;

import io.filterscope.engine.net.Network;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The objectives of a minibatch, image i maximizing objective i. When every image has a channel objective on
 * the same layer (a gallery), all values and gradients come from one mask with 1/(h*w) on each image's own
 * channel: two native ops instead of a few per image, which matters for small models.
 */
public final class BatchObjective {
    private final List<Objective> perImage;
    private final Set<String> layers = new LinkedHashSet<>();
    private final String sharedLayer;
    private INDArray mask;

    public BatchObjective(List<Objective> perImage) {
        this.perImage = List.copyOf(perImage);
        perImage.forEach(o -> layers.addAll(o.layers()));
        boolean channels = perImage.stream().allMatch(o -> o instanceof ChannelObjective) && layers.size() == 1;
        this.sharedLayer = channels ? layers.iterator().next() : null;
    }

    public Set<String> layers() {
        return layers;
    }

    public List<Objective> objectives() {
        return perImage;
    }

    /** After a forward pass: fills the layers' gradients and returns each image's value. */
    public double[] evaluate(Network net) {
        net.clearGradients(layers);
        if (sharedLayer != null && net.output(sharedLayer).rank() == 4) {
            return evaluateByMask(net);
        }
        double[] values = new double[perImage.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = perImage.get(i).evaluate(net, i, 1.0);
        }
        return values;
    }

    private double[] evaluateByMask(Network net) {
        INDArray out = net.output(sharedLayer);
        if (mask == null) {
            mask = io.filterscope.engine.render.AscentRun.persistent(out::like);
            double share = 1.0 / (out.size(2) * out.size(3));
            for (int i = 0; i < perImage.size(); i++) {
                int filter = ((ChannelObjective) perImage.get(i)).filter();
                mask.get(NDArrayIndex.point(i), NDArrayIndex.point(filter)).assign(share);
            }
        }
        net.gradient(sharedLayer).assign(mask);
        return out.mul(mask).sum(1, 2, 3).toDoubleVector();
    }
}
