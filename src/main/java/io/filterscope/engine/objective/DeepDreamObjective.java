package io.filterscope.engine.objective;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.engine.net.Network;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mean square of a whole layer's output: amplifies whatever the layer already sees (DeepDream). */
public record DeepDreamObjective(String layer) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(layer);
    }

    @Override
    public double evaluate(Network net, int image, double weight) {
        INDArray a = net.output(layer).get(point(image));
        double n = a.length();
        net.gradient(layer).get(point(image)).addi(a.mul(2 * weight / n));
        double norm = a.norm2Number().doubleValue();
        return norm * norm / n;
    }

    @Override
    public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("type", "deepdream").put("layer", layer);
    }

    @Override
    public String label() {
        return layer + " dream";
    }
}
