package io.filterscope.engine.objective;

import io.filterscope.UserError;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One spatial position of one filter: by default the centre unit, whose receptive field is a single patch
 * of the image, which gives a crisper picture than the whole map's mean. The centre is that of the map the layer
 * has at the run's input size (a 32 px model's 16x16 map is 4x4 at 8 px), found at each evaluation.
 *
 * @param x column, or null for the map's centre column (width / 2)
 * @param y row, or null for the map's centre row (height / 2)
 */
public record NeuronObjective(String layer, int filter, Integer x, Integer y) implements Objective {

    /** The centre unit of filter {@code filter}'s map, whatever its size. */
    public static NeuronObjective centre(String layer, int filter) {
        return new NeuronObjective(layer, filter, null, null);
    }

    @Override
    public Set<String> layers() {
        return Set.of(layer);
    }

    @Override
    public double evaluate(StepTensors t, int image, double weight) {
        INDArray out = t.output(layer);
        INDArray grad = t.gradient(layer);
        long col = x != null ? x : out.size(3) / 2;
        long row = y != null ? y : out.size(2) / 2;
        grad.putScalar(new long[] {image, filter, row, col}, grad.getDouble(image, filter, row, col) + weight);
        return out.getDouble(image, filter, row, col);
    }

    /**
     * Refuses a neuron position in any of {@code objectives} (or their sums' terms) that lies outside its layer's map
     * at the run's input size, which {@code at} names ("8 px"): the one check of a neuron's x and y against its map,
     * negative ones included.
     *
     * @param mapSize a layer's map at that size as {height, width}, in units
     * @throws UserError naming the axis, the layer's width or height at that input size: {@code neuron x 40 is outside
     *                   layer conv2's width 0-13 at 28 px}
     */
    public static void checkAll(List<Objective> objectives, Function<String, long[]> mapSize, String at) {
        for (Objective o : objectives) {
            for (NeuronObjective n : in(o)) {
                long[] hw = mapSize.apply(n.layer);
                checkWithin(n.layer, "x", n.x, "width", hw[1], at);
                checkWithin(n.layer, "y", n.y, "height", hw[0], at);
            }
        }
    }

    private static void checkWithin(String layer, String axis, Integer unit, String side, long units, String at) {
        if (unit != null && (unit < 0 || unit >= units)) {
            throw new UserError("neuron " + axis + " " + unit + " is outside layer " + layer + "'s " + side + " 0-" + (units - 1)
                    + " at " + at);
        }
    }

    /** The neuron objectives in {@code o}: itself, or the terms of a sum. */
    private static List<NeuronObjective> in(Objective o) {
        List<NeuronObjective> found = new ArrayList<>();
        for (WeightedSum.Term t : WeightedSum.termsOf(o)) {
            if (t.objective() instanceof NeuronObjective n) {
                found.add(n);
            } else if (t.objective() instanceof WeightedSum) {
                found.addAll(in(t.objective()));
            }
        }
        return found;
    }

    @Override
    public String label() {
        return layer + ":" + filter + "@" + (x == null ? "centre" : x) + "," + (y == null ? "centre" : y);
    }
}
