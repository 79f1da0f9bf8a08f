package io.filterscope.engine.net;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Resizing of the maps by nearest-neighbour or bilinear interpolation (Keras' UpSampling2D). Both are linear
 * maps applied to rows and columns separately, {@code out = Ah X Aw^T} per map with interpolation matrices
 * [out, in] built once; the gradient is {@code Ah^T G Aw}. Two matrix products and two transposing copies.
 */
final class ResizeStage extends Stage {
    private final double[] scale;
    private final Ops.Interpolation interpolation;
    private final Ops.Coordinates coordinates;
    private INDArray rowsT;
    private INDArray cols;
    private INDArray widened;
    private INDArray byRow;
    private INDArray result;
    private INDArray gradByRow;
    private INDArray gradRows;
    private INDArray gradWidened;

    ResizeStage(String layer, double[] scale, Ops.Interpolation interpolation, Ops.Coordinates coordinates) {
        super(layer);
        this.scale = scale.clone();
        this.interpolation = interpolation;
        this.coordinates = coordinates;
    }

    @Override
    String kind() {
        return interpolation.name().toLowerCase(java.util.Locale.ROOT) + " resize x" + scale[0] + "," + scale[1];
    }

    @Override
    long[] outputShape(long[] s) {
        return new long[] {s[0], s[1], (long) Math.floor(s[2] * scale[0]), (long) Math.floor(s[3] * scale[1])};
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        DataType t = input.dataType();
        long nc = input.size(0) * input.size(1);
        long h = input.size(2);
        long w = input.size(3);
        long oh = out.size(2);
        long ow = out.size(3);
        INDArray rows = matrix(oh, h, scale[0]).castTo(t);
        rowsT = rows.transpose().dup('c');
        cols = matrix(ow, w, scale[1]).castTo(t);
        widened = Nd4j.create(t, nc * h, ow);
        byRow = Nd4j.create(t, h, nc * ow);
        result = Nd4j.create(t, oh, nc * ow);
        gradByRow = Nd4j.create(t, oh, nc * ow);
        gradRows = Nd4j.create(t, h, nc * ow);
        gradWidened = Nd4j.create(t, nc * h, ow);
    }

    /** The [out, in] interpolation matrix along one axis. */
    private INDArray matrix(long outSize, long inSize, double factor) {
        INDArray m = Nd4j.create(DataType.DOUBLE, outSize, inSize);
        for (long i = 0; i < outSize; i++) {
            double src = switch (coordinates) {
                case HALF_PIXEL -> (i + 0.5) / factor - 0.5;
                case ASYMMETRIC -> i / factor;
                case ALIGN_CORNERS -> outSize == 1 ? 0 : i * (inSize - 1) / (double) (outSize - 1);
            };
            if (interpolation == Ops.Interpolation.NEAREST) {
                long j = coordinates == Ops.Coordinates.HALF_PIXEL ? (long) Math.floor((i + 0.5) / factor)
                        : coordinates == Ops.Coordinates.ALIGN_CORNERS ? Math.round(src) : (long) Math.floor(src);
                m.putScalar(i, Math.min(Math.max(j, 0), inSize - 1), 1);
            } else {
                double c = Math.min(Math.max(src, 0), inSize - 1);
                long j0 = (long) Math.floor(c);
                long j1 = Math.min(j0 + 1, inSize - 1);
                double f = c - j0;
                m.putScalar(i, j0, m.getDouble(i, j0) + 1 - f);
                m.putScalar(i, j1, m.getDouble(i, j1) + f);
            }
        }
        return m;
    }

    @Override
    void forward() {
        long nc = in.size(0) * in.size(1);
        long h = in.size(2);
        long ow = out.size(3);
        Nd4j.gemm(in.reshape('c', nc * h, in.size(3)), cols, widened, false, true, 1.0, 0.0);
        byRow.reshape('c', h, nc, ow).assign(widened.reshape('c', nc, h, ow).permute(1, 0, 2));
        Nd4j.gemm(rowsT, byRow, result, true, false, 1.0, 0.0);
        out.reshape('c', nc, out.size(2), ow).assign(result.reshape('c', out.size(2), nc, ow).permute(1, 0, 2));
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        long nc = in.size(0) * in.size(1);
        long h = in.size(2);
        long oh = out.size(2);
        long ow = out.size(3);
        gradByRow.reshape('c', oh, nc, ow).assign(gradOut.reshape('c', nc, oh, ow).permute(1, 0, 2));
        Nd4j.gemm(rowsT, gradByRow, gradRows, false, false, 1.0, 0.0);
        gradWidened.reshape('c', nc, h, ow).assign(gradRows.reshape('c', h, nc, ow).permute(1, 0, 2));
        Nd4j.gemm(gradWidened, cols, gradIn.reshape('c', nc * h, in.size(3)), false, false, 1.0, 0.0);
    }
}
