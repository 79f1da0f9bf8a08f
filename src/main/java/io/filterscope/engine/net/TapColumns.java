package io.filterscope.engine.net;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The input gradient of a stride-1 convolution of a one-channel input (a grey image: the first layer of mnist-cnn,
 * fashion-cnn, LeNet) as a oneDNN 1x1 convolution of the output gradient into one column per kernel tap, summed into the
 * input's pixels on the host. Its transposed convolution (what {@link ConvStage} runs otherwise) has one output channel,
 * where oneDNN's kernels fill a 16-lane vector with one value: fashion-cnn's 32 -> 1 channel 3x3 gradient at batch 30,
 * 6.8 million multiply-adds, took 1.1-1.3 ms (about 10 GFLOP/s, against 190 GFLOP/s on one core for its 32 -> 32
 * layers). The 1x1 convolution into 9 columns (oneDNN's brgconv_1x1) and the host's sum take a fraction of that
 * (docs/performance.md, "Batch-30 passes against the machine's peak").
 *
 * <p>Column {@code t = ky * kw + kx} at output pixel (y, x) is {@code sum over o of gradOut[o, y, x] * w[o, 0, ky, kx]};
 * input pixel (i, j)'s gradient is the sum of column t at (i - ky + padRows, j - kx + padCols) over the taps whose pixel
 * lies in the output, added in order of t from zero. Each image's values depend on that image's rows alone (the 1x1
 * convolution's sums run over the output channels of one pixel), so a run's rows of a batch get what it gets alone.
 * The values differ from the transposed convolution's by float rounding (another order of the same terms).
 */
final class TapColumns {
    /** At most this many taps (one 16-float vector of the columns' channels). */
    static final int MAX_TAPS = 16;

    private final DirectConv taps;
    private final INDArray columns;
    private final int kernelRows;
    private final int kernelCols;
    private final int padRows;
    private final int padCols;
    private final float[] columnValues;
    private final float[] gradValues;
    /** Each tap's column offset from an inner pixel's first (made once: the columns' shape is fixed). */
    private final int[] offsets;

    private TapColumns(DirectConv taps, INDArray columns, int kernelRows, int kernelCols, int[] pad, int inputPixels) {
        this.taps = taps;
        this.columns = columns;
        this.kernelRows = kernelRows;
        this.kernelCols = kernelCols;
        this.padRows = pad[0];
        this.padCols = pad[1];
        this.columnValues = new float[(int) columns.length()];
        this.gradValues = new float[inputPixels];
        // Pixels whose every tap lies in the output read their columns at fixed offsets from (i + padRows, j + padCols)'s.
        int t = kernelRows * kernelCols;
        int ow = (int) columns.size(3);
        this.offsets = new int[t];
        for (int ky = 0; ky < kernelRows; ky++) {
            for (int kx = 0; kx < kernelCols; kx++) {
                int k = ky * kernelCols + kx;
                offsets[k] = k - (ky * ow + kx) * t;
            }
        }
    }

    /**
     * The input gradient of the convolution by {@code weights} [out, 1, kh, kw] (stride 1, zero padding {@code pad}
     * {rows, columns} before each axis) from output gradients shaped and stored as {@code gradOut} (channels last) into
     * {@code sourceGrad} [n, 1, h, w]; or null where it does not apply: more than one input channel, a 1x1 kernel, more
     * than {@link #MAX_TAPS} taps, values other than float, an output gradient not stored channels last, a
     * {@code sourceGrad} whose values do not lie in c order one after the other, or no oneDNN ({@link DirectConv#of}).
     */
    static TapColumns of(INDArray weights, INDArray gradOut, INDArray sourceGrad, int[] pad) {
        int kh = (int) weights.size(2);
        int kw = (int) weights.size(3);
        int t = kh * kw;
        long pixels = sourceGrad.length();
        if (weights.size(1) != 1 || t == 1 || t > MAX_TAPS || weights.dataType() != DataType.FLOAT
                || sourceGrad.dataType() != DataType.FLOAT || !ChannelsLast.is(gradOut) || !dense(sourceGrad)
                || gradOut.size(0) * gradOut.size(2) * gradOut.size(3) * t > Integer.MAX_VALUE || pixels > Integer.MAX_VALUE) {
            return null;
        }
        long outChannels = weights.size(0);
        INDArray tapWeights = weights.reshape('c', outChannels, t).transpose().dup('c').reshape('c', t, outChannels, 1, 1);
        INDArray columns = ChannelsLast.create(DataType.FLOAT, new long[] {gradOut.size(0), t, gradOut.size(2), gradOut.size(3)});
        DirectConv conv = DirectConv.of(gradOut, tapWeights, null, columns, new int[] {1, 1}, new int[] {0, 0}, false);
        return conv == null ? null : new TapColumns(conv, columns, kh, kw, pad, (int) pixels);
    }

    /** Whether {@code a} [n, 1, h, w] holds its values in c order one after the other in its buffer. */
    private static boolean dense(INDArray a) {
        return a.rank() == 4 && a.size(1) == 1 && a.stride(3) == 1 && a.stride(2) == a.size(3)
                && a.stride(0) == a.size(2) * a.size(3) && a.offset() + a.length() <= a.data().length();
    }

    /** Input pixel (i, j)'s gradient in image {@code image}'s columns, from the taps whose pixel lies in the output. */
    private float edge(int image, int i, int j, int t, int oh, int ow) {
        int kyFirst = Math.max(0, i + padRows - oh + 1);
        int kyEnd = Math.min(kernelRows, i + padRows + 1);
        int kxFirst = Math.max(0, j + padCols - ow + 1);
        int kxEnd = Math.min(kernelCols, j + padCols + 1);
        float sum = 0;
        for (int ky = kyFirst; ky < kyEnd; ky++) {
            int row = image + (i - ky + padRows) * ow * t + ky * kernelCols;
            for (int kx = kxFirst; kx < kxEnd; kx++) {
                sum += columnValues[row + (j - kx + padCols) * t + kx];
            }
        }
        return sum;
    }

    /**
     * Writes the input gradient of {@code gradOut} into {@code sourceGrad}, arrays of the shapes and strides given to
     * {@link #of}. Returns false, computing nothing, when {@code gradOut}'s shape or strides differ.
     */
    boolean run(INDArray gradOut, INDArray sourceGrad) {
        if (!taps.run(gradOut, columns)) {
            return false;
        }
        columns.data().asNioFloat().get(0, columnValues);
        int images = (int) columns.size(0);
        int t = (int) columns.size(1);
        int oh = (int) columns.size(2);
        int ow = (int) columns.size(3);
        int h = (int) sourceGrad.size(2);
        int w = (int) sourceGrad.size(3);
        int iFirst = kernelRows - 1 - padRows;
        int iEnd = oh - padRows;
        int jFirst = Math.max(0, kernelCols - 1 - padCols);
        int jEnd = Math.max(jFirst, Math.min(w, ow - padCols));
        for (int n = 0; n < images; n++) {
            int image = n * oh * ow * t;
            int at = n * h * w;
            for (int i = 0; i < h; i++, at += w) {
                boolean inner = i >= iFirst && i < iEnd;
                for (int j = 0; j < w; j++) {
                    if (inner && j == jFirst) {
                        int base = image + ((i + padRows) * ow + jFirst + padCols) * t;
                        for (; j < jEnd; j++, base += t) {
                            float sum = 0;
                            for (int k = 0; k < t; k++) {
                                sum += columnValues[base + offsets[k]];
                            }
                            gradValues[at + j] = sum;
                        }
                        if (j == w) {
                            break;
                        }
                    }
                    gradValues[at + j] = edge(image, i, j, t, oh, ow);
                }
            }
        }
        sourceGrad.data().asNioFloat().put((int) sourceGrad.offset(), gradValues);
        return true;
    }
}
