package io.filterscope.engine.objective;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mean square of a whole layer's output: amplifies whatever the layer already sees (DeepDream). */
public record DeepDreamObjective(String layer) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(layer);
    }

    @Override
    public double evaluate(StepTensors t, int image, double weight) {
        INDArray a = t.output(layer).get(point(image));
        double n = a.length();
        t.gradient(layer).get(point(image)).addi(a.mul(2 * weight / n));
        double norm = a.norm2Number().doubleValue();
        return norm * norm / n;
    }

    @Override
    public String label() {
        return layer + " dream";
    }
}
