package io.filterscope.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.net.Ops;
import java.util.List;
import java.util.Map;

/** Flatten, Reshape, Permute, ZeroPadding2D (uneven too), Cropping2D and UpSampling2D (nearest, bilinear). */
final class ReshapingLayers {
    private ReshapingLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("Flatten", (l, in, g) -> {
            KerasTensor x = in.get(0);
            if (!x.maps()) {
                return x;
            }
            // Keras flattens its own layout in c-order: h, w, c for channels last.
            KerasTensor k = g.ensure(l, x, l.channelsFirst() ? KerasTensor.IDENTITY_3 : KerasTensor.CHANNELS_LAST);
            return new KerasTensor(g.add(l, k.order()[0] == 2 ? Ops.flattenChannelsLast() : Ops.flatten(), k.node()), KerasTensor.ROWS);
        });
        r.put("Reshape", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                int n = l.config().path("target_shape").size();
                return n == 1 || n == 3 ? null : "a target shape of " + n + " axes (only vectors and 3-axis maps)";
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) {
                JsonNode target = l.config().get("target_shape");
                long[] shape = new long[target.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = target.get(i).asLong();
                }
                // Reshaping reads Keras' own layout in c-order.
                KerasTensor x = in.get(0).maps() ? g.ensure(l, in.get(0), KerasTensor.IDENTITY_3) : in.get(0);
                int node = g.add(l, Ops.reshape(shape), x.node());
                return new KerasTensor(node, shape.length == 3 ? KerasTensor.IDENTITY_3 : KerasTensor.ROWS);
            }
        });
        r.put("Permute", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                return l.config().path("dims").size() == 3 ? null : "permuting other than 3 axes";
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) {
                // Only the labels change: new Keras axis i is old axis dims[i] - 1; the stored maps stay put.
                JsonNode dims = l.config().get("dims");
                KerasTensor x = in.get(0);
                int[] order = new int[3];
                for (int ours = 0; ours < 3; ours++) {
                    for (int i = 0; i < 3; i++) {
                        if (dims.get(i).asInt() - 1 == x.order()[ours]) {
                            order[ours] = i;
                        }
                    }
                }
                return new KerasTensor(x.node(), order);
            }
        });
        r.put("ZeroPadding2D", (l, in, g) -> g.apply(l, Ops.zeroPad(sides(l.config().get("padding"), 1)), g.maps(l, in.get(0))));
        r.put("Cropping2D", (l, in, g) -> g.apply(l, Ops.crop(sides(l.config().get("cropping"), 0)), g.maps(l, in.get(0))));
        r.put("UpSampling2D", new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                String i = l.text("interpolation", "nearest");
                return i.equals("nearest") || i.equals("bilinear") ? null : "interpolation '" + i + "'";
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) {
                int[] size = l.pair("size", new int[] {2, 2});
                boolean bilinear = l.text("interpolation", "nearest").equals("bilinear");
                Ops.Coordinates where = g.dialect() == KerasDialect.TFJS ? Ops.Coordinates.ASYMMETRIC : Ops.Coordinates.HALF_PIXEL;
                return g.apply(l, Ops.resize(new double[] {size[0], size[1]},
                        bilinear ? Ops.Interpolation.BILINEAR : Ops.Interpolation.NEAREST, where), g.maps(l, in.get(0)));
            }
        });
    }

    /** Keras' padding or cropping: n, [rows, cols] or [[top, bottom], [left, right]], as top, bottom, left, right. */
    static int[] sides(JsonNode v, int fallback) {
        if (v == null || v.isNull()) {
            return new int[] {fallback, fallback, fallback, fallback};
        }
        if (v.isNumber()) {
            return new int[] {v.asInt(), v.asInt(), v.asInt(), v.asInt()};
        }
        JsonNode rows = v.get(0);
        JsonNode cols = v.get(1);
        return new int[] {first(rows), second(rows), first(cols), second(cols)};
    }

    private static int first(JsonNode n) {
        return n.isArray() ? n.get(0).asInt() : n.asInt();
    }

    private static int second(JsonNode n) {
        return n.isArray() ? n.get(1).asInt() : n.asInt();
    }
}
