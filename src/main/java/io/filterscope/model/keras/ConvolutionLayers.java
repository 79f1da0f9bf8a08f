package io.filterscope.model.keras;

import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Conv2D (strides, dilation, groups), DepthwiseConv2D (depth multiplier) and SeparableConv2D (depthwise then
 * pointwise). Keras kernels are [kh, kw, in, out] whatever the data format; ours [out, in, kh, kw].
 */
final class ConvolutionLayers {
    private ConvolutionLayers() {
    }

    static void register(Map<String, KerasLayerReader> r) {
        r.put("Conv2D", padded((l, in, g) -> {
            LayerWeights w = g.weights(l);
            INDArray kernel = w.take("kernel").permute(3, 2, 0, 1).dup('c');
            INDArray bias = l.flag("use_bias", true) ? w.take("bias") : null;
            KerasTensor x = g.maps(l, in.get(0));
            int groups = (int) l.number("groups", 1);
            KerasTensor y = g.apply(l, Ops.conv2d(kernel, bias, strides(l), pad(l), dilation(l), groups), x);
            return g.activation(l, l.config().get("activation"), y);
        }));
        r.put("Convolution2D", r.get("Conv2D"));
        r.put("DepthwiseConv2D", padded((l, in, g) -> {
            LayerWeights w = g.weights(l);
            INDArray kernel = w.take("depthwise_kernel");
            INDArray bias = l.flag("use_bias", true) ? w.take("bias") : null;
            KerasTensor y = g.apply(l, depthwise(kernel, bias, l), g.maps(l, in.get(0)));
            return g.activation(l, l.config().get("activation"), y);
        }));
        r.put("SeparableConv2D", padded((l, in, g) -> {
            LayerWeights w = g.weights(l);
            INDArray depth = w.take("depthwise_kernel");
            INDArray point = w.take("pointwise_kernel").permute(3, 2, 0, 1).dup('c');
            INDArray bias = l.flag("use_bias", true) ? w.take("bias") : null;
            KerasTensor d = g.apply(l, depthwise(depth, null, l), g.maps(l, in.get(0)));
            KerasTensor y = g.apply(l, Ops.conv2d(point, bias, new int[] {1, 1}, Padding.valid(), new int[] {1, 1}, 1), d);
            return g.activation(l, l.config().get("activation"), y);
        }));
        r.put("SeparableConvolution2D", r.get("SeparableConv2D"));
    }

    /** A depthwise kernel [kh, kw, in, multiplier] as a grouped convolution's [in * multiplier, 1, kh, kw]. */
    private static io.filterscope.engine.net.Op depthwise(INDArray kernel, INDArray bias, KerasLayer l) {
        long kh = kernel.size(0);
        long kw = kernel.size(1);
        long channels = kernel.size(2);
        INDArray w = kernel.reshape('c', kh, kw, channels * kernel.size(3)).permute(2, 0, 1).dup('c')
                .reshape('c', channels * kernel.size(3), 1, kh, kw);
        return Ops.conv2d(w, bias, strides(l), pad(l), dilation(l), (int) channels);
    }

    /** A reader whose layer is refused only for a padding other than valid or same. */
    static KerasLayerReader padded(KerasLayerReader read) {
        return new KerasLayerReader() {
            @Override
            public String unsupported(KerasLayer l) {
                return padding(l);
            }

            @Override
            public KerasTensor read(KerasLayer l, List<KerasTensor> in, KerasGraph g) throws IOException {
                return read.read(l, in, g);
            }
        };
    }

    static String padding(KerasLayer l) {
        String p = l.text("padding", "valid");
        return p.equals("valid") || p.equals("same") ? null : "padding '" + p + "'";
    }

    static Padding pad(KerasLayer l) {
        return l.text("padding", "valid").equals("same") ? Padding.same() : Padding.valid();
    }

    static int[] strides(KerasLayer l) {
        return l.pair("strides", new int[] {1, 1});
    }

    private static int[] dilation(KerasLayer l) {
        return l.pair("dilation_rate", new int[] {1, 1});
    }
}
