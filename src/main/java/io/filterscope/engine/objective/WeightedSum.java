package io.filterscope.engine.objective;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.engine.net.Network;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code w1 * a + w2 * b + ...}: objectives combine linearly, on the same layer or on different ones. */
public record WeightedSum(List<Term> terms) implements Objective {

    public record Term(double weight, Objective objective) {
    }

    @Override
    public Set<String> layers() {
        Set<String> all = new LinkedHashSet<>();
        terms.forEach(t -> all.addAll(t.objective().layers()));
        return all;
    }

    @Override
    public double evaluate(Network net, int image, double weight) {
        double value = 0;
        for (Term t : terms) {
            value += t.weight() * t.objective().evaluate(net, image, weight * t.weight());
        }
        return value;
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode().put("type", "sum");
        ArrayNode list = json.putArray("terms");
        for (Term t : terms) {
            list.addObject().put("weight", t.weight()).set("objective", t.objective().toJson());
        }
        return json;
    }

    @Override
    public String label() {
        return terms.stream().map(t -> t.weight() + "*" + t.objective().label()).collect(Collectors.joining(" + "));
    }
}
