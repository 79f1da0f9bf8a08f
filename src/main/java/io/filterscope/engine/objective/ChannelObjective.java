package io.filterscope.engine.objective;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mean activation of one filter over its whole feature map (the Keras blog's objective); for a dense layer, one unit. */
public record ChannelObjective(String layer, int filter) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(layer);
    }

    @Override
    public double evaluate(StepTensors t, int image, double weight) {
        INDArray out = t.output(layer);
        if (out.rank() == 2) {
            t.gradient(layer).putScalar(image, filter, t.gradient(layer).getDouble(image, filter) + weight);
            return out.getDouble(image, filter);
        }
        INDArray map = out.get(point(image), point(filter));
        t.gradient(layer).get(point(image), point(filter)).addi(weight / map.length());
        return map.meanNumber().doubleValue();
    }

    @Override
    public String label() {
        return layer + ":" + filter;
    }
}
