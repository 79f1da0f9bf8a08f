package io.filterscope.engine.objective;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.engine.net.Network;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mean activation of one filter over its whole feature map (the Keras blog's objective); for a dense layer, one unit. */
public record ChannelObjective(String layer, int filter) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(layer);
    }

    @Override
    public double evaluate(Network net, int image, double weight) {
        INDArray out = net.output(layer);
        if (out.rank() == 2) {
            net.gradient(layer).putScalar(image, filter, net.gradient(layer).getDouble(image, filter) + weight);
            return out.getDouble(image, filter);
        }
        INDArray map = out.get(point(image), point(filter));
        net.gradient(layer).get(point(image), point(filter)).addi(weight / map.length());
        return map.meanNumber().doubleValue();
    }

    @Override
    public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("type", "channel").put("layer", layer).put("filter", filter);
    }

    @Override
    public String label() {
        return layer + ":" + filter;
    }
}
