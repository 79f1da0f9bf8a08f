package io.filterscope.model.keras;

import io.filterscope.engine.net.Ops;
import java.util.Map;

/**
 * Max and average pooling (the average excludes padding, as TensorFlow computes it) and global pooling
 * (keepdims: [1, 1, c] maps, else a vector).
 */
final class PoolingLayers {
    private PoolingLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        for (boolean max : new boolean[] {true, false}) {
            KerasLayerReader pool = ConvolutionLayers.padded((l, in, g) -> {
                int[] size = l.pair("pool_size", new int[] {2, 2});
                int[] strides = l.pair("strides", size);
                return g.apply(l, Ops.pool(max, size, strides, ConvolutionLayers.pad(l), false, false), g.maps(l, in.get(0)));
            });
            r.put(max ? "MaxPooling2D" : "AveragePooling2D", pool);
            r.put(max ? "MaxPool2D" : "AvgPool2D", pool);
            KerasLayerReader global = (l, in, g) -> {
                boolean keep = l.flag("keepdims", false);
                KerasTensor x = g.maps(l, in.get(0));
                int node = g.add(l, Ops.globalPool(max ? Ops.GlobalPool.MAX : Ops.GlobalPool.AVG, keep), x.node());
                return new KerasTensor(node, keep ? x.order() : KerasTensor.ROWS);
            };
            r.put(max ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D", global);
            r.put(max ? "GlobalMaxPool2D" : "GlobalAvgPool2D", global);
        }
    }
}
