package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Conv and ConvTranspose: 2-D, weights [out, in / group, kh, kw] as the engine keeps them. */
final class ConvolutionReaders {
    private ConvolutionReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("Conv", 1, ConvolutionReaders::conv);
        r.add("ConvTranspose", 1, ConvolutionReaders::convTranspose);
    }

    /** Transposed convolution with symmetric pads, no groups, dilation or output padding. */
    private static void convTranspose(OnnxNode n, OnnxGraph g) throws IOException {
        Activation x = maps(n, g);
        INDArray w = g.constant(n, 1).value();
        INDArray b = g.optionalConstant(n, 2) == null ? null : g.constant(n, 2).value();
        if (w.rank() != 4 || w.size(0) != x.shape()[1]) {
            throw n.refuse("weights " + OnnxGraph.shape(w.shape()) + " do not fit " + x.shape()[1] + " input channels");
        }
        if (n.i("group", 1) != 1 || n.has("output_shape") || !n.s("auto_pad", "NOTSET").equals("NOTSET")) {
            throw n.refuse("only transposed convolutions without groups, output_shape or auto_pad are supported");
        }
        long[] outputPadding = n.ints("output_padding", new long[] {0, 0});
        Window win = Window.of(n, new long[] {w.size(2), w.size(3)});
        int[] p = win.pads();
        if (p[0] != p[2] || p[1] != p[3] || win.dilation()[0] != 1 || win.dilation()[1] != 1
                || outputPadding[0] != 0 || outputPadding[1] != 0) {
            throw n.refuse("only symmetric pads without dilation or output padding are supported");
        }
        long[] s = x.shape();
        long[] shape = {s[0], w.size(1), (s[2] - 1) * win.stride()[0] - 2L * p[0] + w.size(2),
            (s[3] - 1) * win.stride()[1] - 2L * p[1] + w.size(3)};
        g.put(n, g.add(Ops.convTranspose2d(w, b == null ? null : b.reshape(-1), win.stride(), new int[] {p[0], p[1]}), shape, x));
    }

    private static void conv(OnnxNode n, OnnxGraph g) throws IOException {
        Activation x = maps(n, g);
        INDArray w = g.constant(n, 1).value();
        INDArray b = g.optionalConstant(n, 2) == null ? null : g.constant(n, 2).value();
        if (w.rank() != 4) {
            throw n.refuse("only 2-D convolutions are supported (weights of rank " + w.rank() + ")");
        }
        long group = n.i("group", 1);
        if (w.size(1) * group != x.shape()[1]) {
            throw n.refuse("weights " + OnnxGraph.shape(w.shape()) + " in " + group + " groups do not fit "
                    + x.shape()[1] + " input channels");
        }
        if (w.size(0) % group != 0) {
            throw n.refuse(w.size(0) + " filters do not split into " + group + " groups");
        }
        Window win = Window.of(n, new long[] {w.size(2), w.size(3)});
        long[] shape = win.outputShape(x.shape(), w.size(0), n);
        g.put(n, g.add(Ops.conv2d(w, b == null ? null : b.reshape(-1), win.stride(), win.padding(), win.dilation(), (int) group),
                shape, x));
    }

    /** Input 0, which must be NCHW maps. */
    static Activation maps(OnnxNode n, OnnxGraph g) throws IOException {
        Activation x = g.activation(n, 0);
        if (x.rank() != 4 || !x.plain()) {
            throw n.refuse("expects NCHW maps, got a tensor of shape " + OnnxGraph.shape(x.shape())
                    + (x.plain() ? "" : " in a transposed layout"));
        }
        return x;
    }
}
