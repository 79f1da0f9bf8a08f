package io.filterscope.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Max or average 2-D pooling, NCHW, with any padding. Padding is a copy of the input with a border (minus
 * infinity for max, zero for average) pooled without padding by libnd4j; an average is then rescaled per
 * output position to divide by the pixels it should count: those inside the image (TensorFlow, Keras), or
 * those inside the padded image (ONNX's count_include_pad, PyTorch's default). {@code ceilMode} (ONNX,
 * PyTorch) adds an output row or column when a last, partial window starts inside the image; its pixels
 * beyond the padding are never counted.
 *
 * <p>Large maps whose windows do not overlap along rows (VGG's 2x2 stride 2) are pooled in strips of rows of
 * at most {@link #STRIP_PIXELS} pixels each: oneDNN pools a plain NCHW map through its fast kernel only while one
 * map is small (on this machine up to about 13,000 pixels), and otherwise takes its reference kernel (VGG16's first
 * pool at 128 px, one thread: 7.8 ms forward and 11 ms backward, against 1.0-1.3 and 2.4-3.2 ms in strips). Each
 * output row's window lies in one strip, so the strips compute exactly what one call does. When every input row
 * belongs to one window (height = output rows x stride) and the strips can be of equal height, they are the maps of
 * a reshaped view, [n, c * strips, h / strips, w]: one native call, no copies. Otherwise (an odd height whose last
 * row no window reads, say) each strip is a view of its own, one call each, which libnd4j copies to dense buffers
 * around oneDNN.
 */
final class PoolStage extends Stage {
    private final boolean max;
    private final int[] kernel;
    private final int[] stride;
    private final Padding padding;
    private final boolean countPadding;
    private final boolean ceilMode;
    private PadBuffer padded;
    private INDArray source;
    private INDArray sourceGrad;
    /** Average pooling's per-position factor kernel area / counted pixels, [1, 1, oh, ow], or null when 1. */
    private INDArray rescale;
    private INDArray scaledGrad;
    /** Largest map one native call pools, in pixels of the (padded) input: well inside oneDNN's fast kernel. */
    static final long STRIP_PIXELS = 8192;
    /** One native call per strip of output rows: {first row, end row} of the output, and the op of each. */
    private final List<long[]> strips = new ArrayList<>();
    private final List<DynamicCustomOp> forwardOps = new ArrayList<>();
    private final List<DynamicCustomOp> backwardOps = new ArrayList<>();
    /** How many strips the maps are reshaped into for one native call (see the class comment); 1 when not. */
    private long stacked = 1;
    /** Whether input and output are stored channels last and pooled as NHWC, by one native call each way. */
    private boolean nhwc;
    /** Max pooling of maps stored channels last as oneDNN primitives made once ({@link DirectMaxPool}), or null. */
    private DirectMaxPool direct;
    /** The output gradient copied channels last, when one comes stored otherwise; made when first needed. */
    private INDArray gradOutCopy;

    PoolStage(String layer, boolean max, int[] kernel, int[] stride, Padding padding, boolean countPadding, boolean ceilMode) {
        super(layer);
        this.max = max;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.countPadding = countPadding;
        this.ceilMode = ceilMode;
    }

    @Override
    String kind() {
        return (max ? "maxpool " : "avgpool ") + kernel[0] + "x" + kernel[1];
    }

    /** Padding per side, with ceil mode's extra bottom and right pixels. */
    private int[] pads(long h, long w) {
        int[] p = padding.resolve(h, w, kernel, stride);
        long[] o = {extent(h, p[0], p[1], 0), extent(w, p[2], p[3], 1)};
        // Extra pixels so that every output window fits: only ceil mode needs any.
        p[1] += (int) Math.max(0, (o[0] - 1) * stride[0] + kernel[0] - (h + p[0] + p[1]));
        p[3] += (int) Math.max(0, (o[1] - 1) * stride[1] + kernel[1] - (w + p[2] + p[3]));
        return p;
    }

    private long extent(long size, int before, int after, int axis) {
        long span = size + before + after - kernel[axis];
        if (span < 0) {
            throw new IllegalArgumentException("input is too small for layer " + layer + ": its map is " + (size + before + after)
                    + " px padded, its window " + kernel[axis] + " px");
        }
        long n = (ceilMode ? (span + stride[axis] - 1) / stride[axis] : span / stride[axis]) + 1;
        // A last window that would start in the bottom padding is dropped (PyTorch, ONNX).
        if (ceilMode && (n - 1) * stride[axis] >= size + before) {
            n--;
        }
        return n;
    }

    /**
     * Maps stored {@link ChannelsLast channels last} are pooled as NHWC, where oneDNN's fast kernel takes maps of any
     * size (VGG16's first pool at 128 px, two threads: 0.2 / 0.5 ms forward / backward against 0.5 / 1.6 ms in strips),
     * unless they need padding; other maps as before. Max pooling of such maps in float runs as oneDNN primitives made once
     * ({@link DirectMaxPool}): VGG16's four pools at 128 px took 0.3 / 0.55 ms of processor time forward / backward against
     * 0.7-0.9 / 2.3-2.4 ms as libnd4j's ops.
     */
    @Override
    boolean takesChannelsLast() {
        return true;
    }

    @Override
    boolean outputChannelsLast(INDArray input) {
        return ChannelsLast.is(input) && !PadBuffer.needed(pads(input.size(2), input.size(3)));
    }

    @Override
    long[] outputShape(long[] s) {
        int[] p = padding.resolve(s[2], s[3], kernel, stride);
        return new long[] {s[0], s[1], extent(s[2], p[0], p[1], 0), extent(s[3], p[2], p[3], 1)};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        int[] given = padding.resolve(input.size(2), input.size(3), kernel, stride);
        int[] p = pads(input.size(2), input.size(3));
        if (PadBuffer.needed(p)) {
            padded = new PadBuffer(in, p, max ? Double.NEGATIVE_INFINITY : 0);
            source = padded.padded;
            sourceGrad = source.like();
        } else {
            source = in;
            sourceGrad = gradIn;
        }
        if (!max && PadBuffer.needed(p)) {
            rescale = Nd4j.create(input.dataType(), 1, 1, out.size(2), out.size(3));
            double area = kernel[0] * kernel[1];
            for (int i = 0; i < out.size(2); i++) {
                double rows = counted(i, 0, input.size(2), given);
                for (int j = 0; j < out.size(3); j++) {
                    rescale.putScalar(new long[] {0, 0, i, j}, area / (rows * counted(j, 1, input.size(3), given)));
                }
            }
            scaledGrad = out.like();
        }
        nhwc = ChannelsLast.is(in) && ChannelsLast.is(out) && padded == null;
        if (nhwc) {
            direct = max ? DirectMaxPool.of(in, out, gradIn, kernel, stride) : null;
            INDArray src = ChannelsLast.storage(in);
            forwardOps.add(DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d").addInputs(src)
                    .addOutputs(ChannelsLast.storage(out)).addIntegerArguments(args(NHWC)).build());
            backwardOps.add(DynamicCustomOp.builder(max ? "maxpool2d_bp" : "avgpool2d_bp").addInputs(src, ChannelsLast.storage(out))
                    .addOutputs(ChannelsLast.storage(gradIn)).addIntegerArguments(args(NHWC)).build());
            return;
        }
        long rowsPerStrip = out.size(2);
        if (kernel[0] <= stride[0] && source.size(2) * source.size(3) > STRIP_PIXELS) {
            rowsPerStrip = Math.max(1, STRIP_PIXELS / ((long) stride[0] * source.size(3)));
            stacked = stackedStrips(rowsPerStrip);
        }
        if (stacked > 1) {
            INDArray src = stack(source);
            forwardOps.add(DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d").addInputs(src)
                    .addOutputs(stack(out)).addIntegerArguments(args(NCHW)).build());
            backwardOps.add(DynamicCustomOp.builder(max ? "maxpool2d_bp" : "avgpool2d_bp").addInputs(src, stack(out))
                    .addOutputs(stack(sourceGrad)).addIntegerArguments(args(NCHW)).build());
            return;
        }
        for (long first = 0; first < out.size(2); first += rowsPerStrip) {
            long[] rows = {first, Math.min(out.size(2), first + rowsPerStrip)};
            INDArray src = inputRows(source, rows);
            strips.add(rows);
            forwardOps.add(DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d").addInputs(src)
                    .addOutputs(outputRows(out, rows)).addIntegerArguments(args(NCHW)).build());
            backwardOps.add(DynamicCustomOp.builder(max ? "maxpool2d_bp" : "avgpool2d_bp").addInputs(src, outputRows(out, rows))
                    .addOutputs(inputRows(sourceGrad, rows)).addIntegerArguments(args(NCHW)).build());
        }
    }

    /**
     * How many strips of equal height, each at most {@code maxRows} output rows, the maps split into as maps of a
     * reshaped view: the fewest that divide the output rows, when every input row belongs to exactly one strip and the
     * arrays are dense; else 1 (strips as separate views, or none).
     */
    private long stackedStrips(long maxRows) {
        long rows = out.size(2);
        if (source.size(2) != rows * stride[0] || !dense(source) || !dense(out) || !dense(sourceGrad)) {
            return 1;
        }
        for (long k = (rows + maxRows - 1) / maxRows; k < rows; k++) {
            if (rows % k == 0) {
                return k;
            }
        }
        return rows;
    }

    private static boolean dense(INDArray a) {
        return !a.isView() && a.ordering() == 'c';
    }

    /** An NCHW array whose rows split into {@link #stacked} strips, as the strips' maps: [n, c * strips, h / strips, w]. */
    private INDArray stack(INDArray a) {
        return a.reshape('c', a.size(0), a.size(1) * stacked, a.size(2) / stacked, a.size(3));
    }

    /**
     * The input rows the output rows {@code [rows[0], rows[1])} read; the whole array for a single strip. Rows no
     * window reads (below the last one) belong to no strip: their gradient stays zero.
     */
    private INDArray inputRows(INDArray a, long[] rows) {
        if (rows[0] == 0 && rows[1] == out.size(2)) {
            return a;
        }
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(rows[0] * stride[0], (rows[1] - 1) * stride[0] + kernel[0]), NDArrayIndex.all());
    }

    /** Output rows {@code [rows[0], rows[1])} of an array shaped like the output; the whole array for a single strip. */
    private INDArray outputRows(INDArray a, long[] rows) {
        if (rows[0] == 0 && rows[1] == out.size(2)) {
            return a;
        }
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(rows[0], rows[1]), NDArrayIndex.all());
    }

    /** How many pixels window {@code i} along {@code axis} counts: inside the image, or inside the given padding. */
    private double counted(int i, int axis, long size, int[] given) {
        long start = (long) i * stride[axis] - given[2 * axis];
        long end = start + kernel[axis];
        long lo = countPadding ? -given[2 * axis] : 0;
        long hi = countPadding ? size + given[2 * axis + 1] : size;
        return Math.max(1, Math.min(end, hi) - Math.max(start, lo));
    }

    /** The native ops' data format argument. */
    private static final int NCHW = 0;
    private static final int NHWC = 1;

    private int[] args(int format) {
        // No padding (it is in the copy), and average over the whole kernel (rescaled afterwards).
        return new int[] {kernel[0], kernel[1], stride[0], stride[1], 0, 0, 1, 1, 0, 1 /* count padding */, format};
    }

    @Override
    void forward() {
        if (padded != null) {
            padded.fill(in);
        }
        if (direct != null) {
            direct.forward(in, out);
        } else {
            forwardOps.forEach(Nd4j::exec);
        }
        if (rescale != null) {
            pairwise("multiply", out, rescale, out);
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        INDArray g = gradOut;
        if (rescale != null) {
            pairwise("multiply", gradOut, rescale, scaledGrad);
            g = scaledGrad;
        }
        if (nhwc) {
            if (!ChannelsLast.is(g)) {
                gradOutCopy = gradOutCopy == null ? ChannelsLast.like(out) : gradOutCopy;
                g = gradOutCopy.assign(g);
            }
            if (direct != null && direct.backward(g, gradIn)) {
                return;
            }
            backwardOps.get(0).setInputArgument(1, ChannelsLast.storage(g));
            Nd4j.exec(backwardOps.get(0));
        } else if (stacked > 1) {
            backwardOps.get(0).setInputArgument(1, stack(g));
            Nd4j.exec(backwardOps.get(0));
        }
        for (int i = 0; i < strips.size(); i++) {
            backwardOps.get(i).setInputArgument(1, outputRows(g, strips.get(i)));
            Nd4j.exec(backwardOps.get(i));
        }
        if (padded != null) {
            padded.crop(sourceGrad, gradIn);
        }
    }
}
