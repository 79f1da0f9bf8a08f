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
