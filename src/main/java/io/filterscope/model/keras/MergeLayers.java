package io.filterscope.model.keras;

import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.UnsupportedLayerException;
import java.util.List;
import java.util.Map;

/**
 * Add, Subtract, Multiply, Average, Maximum, Minimum (broadcasting axes of size 1: a squeeze-and-excitation
 * block multiplies [h, w, c] maps by [1, 1, c]) and Concatenate on any axis. Inputs are brought to the first
 * one's layout.
 */
final class MergeLayers {
    private MergeLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("Add", join(Ops.Join.ADD));
        r.put("Subtract", join(Ops.Join.SUBTRACT));
        r.put("Multiply", join(Ops.Join.PRODUCT));
        r.put("Average", join(Ops.Join.AVERAGE));
        r.put("Maximum", join(Ops.Join.MAX));
        r.put("Minimum", join(Ops.Join.MIN));
        r.put("Concatenate", (l, in, g) -> {
            int[] nodes = aligned(l, in, g);
            KerasTensor first = in.get(0);
            int axis = (int) l.number("axis", -1);
            int kerasAxis = axis < 0 ? axis + first.rank() : axis - 1;
            int ours = first.maps() ? first.ourAxis(kerasAxis) : 0;
            return new KerasTensor(g.add(l, Ops.concat(ours + 1), nodes), first.order());
        });
    }

    private static KerasLayerReader join(Ops.Join op) {
        return (l, in, g) -> new KerasTensor(g.add(l, Ops.join(op), aligned(l, in, g)), in.get(0).order());
    }

    /** The inputs' nodes, each in the first input's layout. */
    static int[] aligned(KerasLayer l, List<KerasTensor> in, KerasGraph g) {
        int[] nodes = new int[in.size()];
        for (int k = 0; k < nodes.length; k++) {
            if (in.get(k).rank() != in.get(0).rank()) {
                throw new UnsupportedLayerException("layer " + l.name() + " (" + l.className() + ") joins tensors of different ranks");
            }
            nodes[k] = g.ensure(l, in.get(k), in.get(0).order()).node();
        }
        return nodes;
    }
}
