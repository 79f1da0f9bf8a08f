package io.filterscope.engine.param;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Lucid's Fourier parameterization: the parameter holds coefficients of a real Fourier basis, scaled by
 * 1/frequency so that every frequency gets an equal say and high-frequency noise does not dominate. With
 * three channels, colours are optimized in a decorrelated space (of RGB display colours). A sigmoid maps
 * the result into [0, 1] display units, which the model's {@link InputSpace} turns into its input. Everything is matrix products and element-wise ops, so it runs on any backend.
 */
public final class FourierImage implements Parameterization {
    /** Square root of the colour correlation of natural images (Lucid's ImageNet estimate), columns RGB. */
    private static final double[][] COLOR_SQRT = {{0.26, 0.09, 0.02}, {0.27, 0.00, -0.05}, {0.27, -0.09, 0.03}};

    private final InputSpace space;
    private final INDArray spectrum;
    private final INDArray scale;
    private final INDArray basisH;
    private final INDArray basisW;
    private final INDArray colour;
    private final INDArray unit;
    private final INDArray image;
    private final long[] shape;

    public FourierImage(long[] shape, DataType dtype, InputSpace space, boolean decorrelate, long seed) {
        this.shape = shape.clone();
        this.space = space;
        long n = shape[0];
        long c = shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        Random rng = new Random(seed);
        double[] init = new double[(int) (c * h * w)];
        for (int i = 0; i < init.length; i++) {
            init[i] = 0.01 * rng.nextGaussian();
        }
        INDArray one = Nd4j.create(init, new long[] {c, h, w}).castTo(dtype);
        spectrum = Nd4j.create(dtype, shape);
        for (long i = 0; i < n; i++) {
            spectrum.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(one);
        }
        basisH = basis(h).castTo(dtype);
        basisW = basis(w).castTo(dtype);
        scale = frequencyScale(h, w).castTo(dtype);
        colour = decorrelate && c == 3 ? colourMatrix().castTo(dtype) : null;
        unit = Nd4j.create(dtype, shape);
        image = Nd4j.create(dtype, shape);
    }

    /** Orthonormal real Fourier basis, one column per frequency: constant, then cos/sin pairs, then Nyquist. */
    static INDArray basis(int n) {
        double[][] b = new double[n][n];
        for (int t = 0; t < n; t++) {
            b[t][0] = 1 / Math.sqrt(n);
            for (int k = 1; 2 * k - 1 < n; k++) {
                double angle = 2 * Math.PI * k * t / n;
                if (2 * k == n) {
                    b[t][2 * k - 1] = Math.cos(angle) / Math.sqrt(n);
                } else {
                    b[t][2 * k - 1] = Math.cos(angle) * Math.sqrt(2.0 / n);
                    if (2 * k < n) {
                        b[t][2 * k] = Math.sin(angle) * Math.sqrt(2.0 / n);
                    }
                }
            }
        }
        return Nd4j.create(b);
    }

    /** Frequency, in cycles per pixel, of each column of {@link #basis}. */
    static double frequency(int column, int n) {
        return ((column + 1) / 2) / (double) n;
    }

    private static INDArray frequencyScale(int h, int w) {
        double[][] s = new double[h][w];
        double floor = 1.0 / Math.max(h, w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double f = Math.hypot(frequency(y, h), frequency(x, w));
                // Lucid divides by 4 after an unnormalized inverse FFT; this is the same with an orthonormal basis.
                s[y][x] = 1 / Math.max(f, floor) / (4 * Math.sqrt(h * w));
            }
        }
        return Nd4j.create(s);
    }

    private static INDArray colourMatrix() {
        double maxNorm = 0;
        for (int col = 0; col < 3; col++) {
            double norm = 0;
            for (double[] row : COLOR_SQRT) {
                norm += row[col] * row[col];
            }
            maxNorm = Math.max(maxNorm, Math.sqrt(norm));
        }
        double[][] m = new double[3][3];
        for (int r = 0; r < 3; r++) {
            for (int col = 0; col < 3; col++) {
                m[r][col] = COLOR_SQRT[r][col] / maxNorm;
            }
        }
        // As 1x1 convolution weights [out, in, 1, 1].
        return Nd4j.create(m).reshape(3, 3, 1, 1);
    }

    @Override
    public INDArray parameter() {
        return spectrum;
    }

    @Override
    public INDArray image() {
        INDArray spatial = toSpatial(spectrum);
        INDArray mixed = colour == null ? spatial : mixChannels(spatial, colour);
        unit.assign(Transforms.sigmoid(mixed, true));
        image.assign(space.toInput(unit));
        return image;
    }

    @Override
    public INDArray backward(INDArray imageGradient) {
        // d image / d mixed = (input space's scale, channel order) * sigmoid'(mixed), sigmoid' = u * (1 - u)
        INDArray g = space.displayGradient(imageGradient).muli(unit).muli(unit.rsub(1.0));
        if (colour != null) {
            g = mixChannels(g, colour.permute(1, 0, 2, 3).dup('c'));
        }
        return fromSpatialAdjoint(g);
    }

    private INDArray toSpatial(INDArray coefficients) {
        INDArray scaled = Nd4j.create(coefficients.dataType(), shape);
        Nd4j.exec(new BroadcastMulOp(coefficients, scale, scaled, 2, 3));
        // rows: Bh . S, then columns: (.) . Bw^T
        INDArray rows = Nd4j.tensorMmul(basisH, scaled, new int[][] {{1}, {2}}); // [h, n, c, w]
        INDArray both = Nd4j.tensorMmul(rows, basisW, new int[][] {{3}, {1}});   // [h, n, c, w]
        return both.permute(1, 2, 0, 3).dup('c');
    }

    private INDArray fromSpatialAdjoint(INDArray g) {
        INDArray rows = Nd4j.tensorMmul(basisH, g, new int[][] {{0}, {2}});       // Bh^T . G: [h, n, c, w]
        INDArray both = Nd4j.tensorMmul(rows, basisW, new int[][] {{3}, {0}});     // (.) . Bw: [h, n, c, w]
        INDArray grad = both.permute(1, 2, 0, 3).dup('c');
        Nd4j.exec(new BroadcastMulOp(grad, scale, grad, 2, 3));
        return grad;
    }

    private static INDArray mixChannels(INDArray x, INDArray weights) {
        INDArray out = x.like();
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, weights).addOutputs(out)
                .addIntegerArguments(1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1).build());
        return out;
    }

    @Override
    public INDArray neutral() {
        return Nd4j.zeros(spectrum.dataType(), shape[1]);
    }

    @Override
    public double stepScale() {
        return 5;
    }

    @Override
    public boolean isPixels() {
        return false;
    }

    @Override
    public void project() {
        // Any spectrum is valid: the sigmoid keeps the image in range.
    }

    @Override
    public InputSpace space() {
        return space;
    }
}
