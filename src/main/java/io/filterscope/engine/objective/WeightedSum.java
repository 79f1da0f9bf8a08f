package io.filterscope.engine.objective;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code w1 * a + w2 * b + ...}: objectives combine linearly, on the same layer, on different ones or on the image. */
public record WeightedSum(List<Term> terms) implements Objective {

    public record Term(double weight, Objective objective) {
    }

    /**
     * The largest weight, either way, a client may give a term ({@link Objectives}): the largest a preset gives a
     * penalty (diversity's 1e4). A weight of 1e300 was accepted and the run failed at its first step, its gradient
     * no longer finite.
     */
    public static final double MAX_WEIGHT = 1e4;

    public WeightedSum {
        terms = List.copyOf(terms);
    }

    /** The terms {@code o} adds up: its own for a sum, else itself with weight 1. */
    static List<Term> termsOf(Objective o) {
        return o instanceof WeightedSum sum ? sum.terms() : List.of(new Term(1, o));
    }

    @Override
    public Set<String> layers() {
        Set<String> all = new LinkedHashSet<>();
        terms.forEach(t -> all.addAll(t.objective().layers()));
        return all;
    }

    @Override
    public boolean readsImage() {
        return terms.stream().anyMatch(t -> t.objective().readsImage());
    }

    @Override
    public boolean joinsImages() {
        return terms.stream().anyMatch(t -> t.objective().joinsImages());
    }

    @Override
    public double evaluate(StepTensors tensors, int image, double weight) {
        double value = 0;
        for (Term t : terms) {
            value += t.weight() * t.objective().evaluate(tensors, image, weight * t.weight());
        }
        return value;
    }

    @Override
    public double[] evaluateAll(StepTensors tensors, double weight) {
        double[] values = new double[tensors.batch()];
        for (Term t : terms) {
            double[] part = t.objective().evaluateAll(tensors, weight * t.weight());
            for (int i = 0; i < values.length; i++) {
                values[i] += t.weight() * part[i];
            }
        }
        return values;
    }

    @Override
    public Objective on(String layer) {
        return new WeightedSum(terms.stream().map(t -> new Term(t.weight(), t.objective().on(layer))).toList());
    }

    @Override
    public String label() {
        return terms.stream().map(t -> t.weight() + "*" + t.objective().label()).collect(Collectors.joining(" + "));
    }
}
