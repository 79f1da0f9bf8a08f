package io.filterscope.engine.objective;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.engine.net.Network;
import java.util.Set;

/**
 * The logit (pre-softmax score) of one output class. Maximizing the probability instead would also push
 * the other classes down, which is not what "the ideal input for class k" means.
 */
public record ClassObjective(String outputLayer, int index, String className) implements Objective {

    @Override
    public Set<String> layers() {
        return Set.of(outputLayer);
    }

    @Override
    public double evaluate(Network net, int image, double weight) {
        return new ChannelObjective(outputLayer, index).evaluate(net, image, weight);
    }

    @Override
    public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("type", "class").put("index", index);
    }

    @Override
    public String label() {
        return className == null ? "class " + index : className;
    }
}
