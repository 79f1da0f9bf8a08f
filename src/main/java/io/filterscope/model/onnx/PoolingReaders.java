package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import java.io.IOException;
import java.util.Arrays;

/** MaxPool, AveragePool, global pooling, ReduceMean over the map (squeeze-and-excitation), and LRN. */
final class PoolingReaders {
    private PoolingReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("MaxPool", 1, (n, g) -> pool(n, g, true));
        r.add("AveragePool", 1, (n, g) -> pool(n, g, false));
        r.add("GlobalAveragePool", 1, (n, g) -> global(n, g, Ops.GlobalPool.AVG));
        r.add("GlobalMaxPool", 1, (n, g) -> global(n, g, Ops.GlobalPool.MAX));
        r.add("LRN", 1, PoolingReaders::lrn);
        r.add("ReduceMean", 1, (n, g) -> reduceMean(n, g, n.ints("axes", null)));
        r.add("ReduceMean", 18, (n, g) -> reduceMean(n, g, g.optionalConstant(n, 1) == null ? null : g.constant(n, 1).longs()));
    }

    private static void pool(OnnxNode n, OnnxGraph g, boolean max) throws IOException {
        if (n.outputCount() > 1 && !n.output(1).isEmpty()) {
            throw n.refuse("the indices output of MaxPool is not supported");
        }
        Activation x = ConvolutionReaders.maps(n, g);
        Window win = Window.of(n, null);
        if (win.dilation()[0] != 1 || win.dilation()[1] != 1) {
            throw n.refuse("dilated pooling is not supported");
        }
        long[] shape = win.outputShape(x.shape(), x.shape()[1], n);
        boolean countPadding = !max && n.i("count_include_pad", 0) == 1;
        g.put(n, g.add(Ops.pool(max, win.kernel(), win.stride(), win.padding(), countPadding, win.ceil()), shape, x));
    }

    private static void global(OnnxNode n, OnnxGraph g, Ops.GlobalPool type) throws IOException {
        Activation x = ConvolutionReaders.maps(n, g);
        g.put(n, g.add(Ops.globalPool(type, true), new long[] {x.shape()[0], x.shape()[1], 1, 1}, x));
    }

    /** A mean over both spatial axes of NCHW maps is a global average pool. */
    private static void reduceMean(OnnxNode n, OnnxGraph g, long[] axes) throws IOException {
        Activation x = g.activation(n, 0);
        boolean keep = n.i("keepdims", 1) == 1;
        long[] sorted = axes == null ? null : Arrays.stream(axes).map(a -> ShapeReaders.axis(a, x.rank())).sorted().toArray();
        if (x.rank() != 4 || !x.plain() || !Arrays.equals(sorted, new long[] {2, 3})) {
            throw n.refuse("only a mean over the rows and columns of NCHW maps is supported (axes "
                    + Arrays.toString(axes) + " of " + OnnxGraph.shape(x.shape()) + ")");
        }
        long[] shape = keep ? new long[] {x.shape()[0], x.shape()[1], 1, 1} : new long[] {x.shape()[0], x.shape()[1]};
        g.put(n, g.add(Ops.globalPool(Ops.GlobalPool.AVG, keep), shape, x));
    }

    private static void lrn(OnnxNode n, OnnxGraph g) throws IOException {
        Activation x = ConvolutionReaders.maps(n, g);
        long size = n.i("size", 0);
        if (size < 1) {
            throw n.refuse("LRN needs a positive size");
        }
        g.put(n, g.add(Ops.lrn((int) size, n.f("alpha", 1e-4f), n.f("beta", 0.75f), n.f("bias", 1f)), x.shape(), x));
    }
}
