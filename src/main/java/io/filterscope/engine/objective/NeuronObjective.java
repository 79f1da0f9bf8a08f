package io.filterscope.engine.objective;

import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One spatial position of one filter: by default the centre unit, whose receptive field is a single patch
 * of the image, which gives a crisper picture than the whole map's mean.
 */
public record NeuronObjective(String layer, int filter, int x, int y) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(layer);
    }

    @Override
    public double evaluate(StepTensors t, int image, double weight) {
        INDArray out = t.output(layer);
        INDArray grad = t.gradient(layer);
        grad.putScalar(new long[] {image, filter, y, x}, grad.getDouble(image, filter, y, x) + weight);
        return out.getDouble(image, filter, y, x);
    }

    @Override
    public String label() {
        return layer + ":" + filter + "@" + x + "," + y;
    }
}
