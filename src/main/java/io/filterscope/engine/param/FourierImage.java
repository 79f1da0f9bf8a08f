package io.filterscope.engine.param;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Lucid's Fourier parameterization, as Lucid and Lucent compute it ({@code param.spatial.fft_image} and
 * {@code param.color.to_valid_rgb}): the parameter is the real and imaginary parts of a 2-D real FFT
 * spectrum, each coefficient scaled by 1/frequency (at least 1/max(h, w)) so that every frequency gets an equal
 * say; the image is the orthonormal inverse real FFT of the scaled spectrum divided by 4, its colours (with
 * three channels) mixed by the square root of natural images' colour correlation, and a sigmoid maps it into
 * display [0, 1], which the model's {@link InputSpace} turns into its input. No pixel is ever clipped.
 *
 * <p>The parameter is [n, c, h, 2 * wf] with wf = w / 2 + 1: the real parts of frequencies (ky, kx) in
 * columns 0..wf-1, their imaginary parts in wf..2wf-1 (Lucid keeps them as [2, c, h, wf]). The inverse FFT is
 * written as products with cosine and sine matrices, so it runs as matrix products on any backend:
 * {@code image = Cy (S Q1) - Sy (S Q2)}, S the scaled spectrum, Q1 = [c cos; -c sin], Q2 = [c sin; c cos],
 * c = 1 for the constant and Nyquist columns and 2 for the others (their conjugates' share).
 */
public final class FourierImage implements Parameterization {
    /** Square root of the colour correlation of natural images (Lucid's ImageNet estimate), columns RGB. */
    private static final double[][] COLOR_SQRT = {{0.26, 0.09, 0.02}, {0.27, 0.00, -0.05}, {0.27, -0.09, 0.03}};
    /** Lucid's initial spread of every spectrum coefficient. */
    private static final double SD = 0.01;
    /** Lucid divides the inverse FFT by this ("magic constant"; larger gives less saturated starts). */
    private static final double MAGIC = 4;

    private final InputSpace space;
    private final long[] shape;
    private final int wf;
    private final INDArray spectrum;
    private final INDArray scale;
    /**
     * The inverse FFT's matrices Cy, Sy [h, h] and Q1, Q2 [2wf, w], and their transposes for its adjoint, each stacked n
     * times ([n, rows, columns]) once, for the batched products of {@link #inverse} and {@link #backward}.
     */
    private final INDArray cosY;
    private final INDArray sinY;
    private final INDArray q1;
    private final INDArray q2;
    private final INDArray cosYt;
    private final INDArray sinYt;
    private final INDArray q1t;
    private final INDArray q2t;
    private final INDArray colour;
    private final INDArray unit;
    private final INDArray image;

    /**
     * @param shape [n, c, h, w] of the images
     * @param start noise (Lucid's 0.01 per coefficient) around grey or around the start pictures
     */
    public FourierImage(long[] shape, DataType dtype, InputSpace space, boolean decorrelate, Start start) {
        this.shape = shape.clone();
        this.space = space;
        int n = (int) shape[0];
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        wf = w / 2 + 1;
        double[][] scales = frequencyScale(h, w);
        double[][] mix = decorrelate && c == 3 ? colourMatrix() : null;
        scale = Nd4j.create(scales).castTo(dtype);
        INDArray cy = Nd4j.create(trig(h, h, 1, true, false)).castTo(dtype);
        INDArray sy = Nd4j.create(trig(h, h, 1, false, false)).castTo(dtype);
        double norm = 1 / (MAGIC * Math.sqrt((double) h * w));
        // Q1 = [c cos; -c sin], Q2 = [c sin; c cos], each [2wf, w], with Lucid's 1/(4 sqrt(hw)) folded in.
        double[][] cx = trig(wf, w, norm, true, true);
        double[][] sx = trig(wf, w, norm, false, true);
        INDArray p1 = Nd4j.vstack(Nd4j.create(cx), Nd4j.create(sx).neg()).castTo(dtype);
        INDArray p2 = Nd4j.vstack(Nd4j.create(sx), Nd4j.create(cx)).castTo(dtype);
        cosY = tiled(cy, n);
        sinY = tiled(sy, n);
        q1 = tiled(p1, n);
        q2 = tiled(p2, n);
        cosYt = tiled(cy.transpose(), n);
        sinYt = tiled(sy.transpose(), n);
        q1t = tiled(p1.transpose(), n);
        q2t = tiled(p2.transpose(), n);
        colour = mix == null ? null : Nd4j.create(mix).reshape(3, 3, 1, 1).castTo(dtype);
        spectrum = Nd4j.create(dtype, n, c, h, 2L * wf);
        for (int i = 0; i < n; i++) {
            double[] one = startSpectrum(start.random(i), start.picture(i), c, h, w, scales, mix);
            spectrum.get(NDArrayIndex.point(i)).assign(Nd4j.create(one, new long[] {c, h, 2L * wf}).castTo(dtype));
        }
        unit = Nd4j.create(dtype, shape);
        image = Nd4j.create(dtype, shape);
    }

    /**
     * Rows k (frequencies), columns t (positions): {@code f(2 pi k t / size)}, f = cos or sin, times
     * {@code factor}, and for a half spectrum ({@code half}) times 2 except at the constant and Nyquist rows.
     */
    private static double[][] trig(int rows, int size, double factor, boolean cos, boolean half) {
        double[][] m = new double[rows][size];
        for (int k = 0; k < rows; k++) {
            double weight = factor * (half && k != 0 && 2 * k != size ? 2 : 1);
            for (int t = 0; t < size; t++) {
                double angle = 2 * Math.PI * k * t / size;
                m[k][t] = weight * (cos ? Math.cos(angle) : Math.sin(angle));
            }
        }
        return m;
    }

    /** |frequency| in cycles per pixel of row ky, column kx of the half spectrum, as numpy's fftfreq gives it. */
    static double frequency(int ky, int kx, int h, int w) {
        double fy = (ky <= (h - 1) / 2 ? ky : ky - h) / (double) h;
        double fx = kx / (double) w;
        return Math.hypot(fy, fx);
    }

    /** 1 / max(frequency, 1 / max(h, w)) for every coefficient, real and imaginary halves alike: [h, 2wf]. */
    private static double[][] frequencyScale(int h, int w) {
        int wf = w / 2 + 1;
        double[][] s = new double[h][2 * wf];
        for (int ky = 0; ky < h; ky++) {
            for (int kx = 0; kx < wf; kx++) {
                s[ky][kx] = 1 / Math.max(frequency(ky, kx, h, w), 1.0 / Math.max(h, w));
                s[ky][wf + kx] = s[ky][kx];
            }
        }
        return s;
    }

    /** Lucid's decorrelation: the colour correlation's square root with its largest column scaled to norm 1. */
    private static double[][] colourMatrix() {
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
        return m;
    }

    /**
     * Image {@code i}'s starting parameter: Lucid's noise, plus, with a start picture, the spectrum whose image is
     * that picture (its logit, colours unmixed, forward FFT times 4, divided by the scale). Host arithmetic, once.
     */
    private double[] startSpectrum(Random rng, float[] picture, int c, int h, int w, double[][] scales, double[][] mix) {
        double[] out = new double[c * h * 2 * wf];
        for (int j = 0; j < out.length; j++) {
            out[j] = SD * rng.nextGaussian();
        }
        if (picture == null) {
            return out;
        }
        double[][][] logits = new double[c][h][w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    // Pictures at exactly 0 or 1 (MNIST's background) would need infinite logits.
                    double p = Math.min(0.98, Math.max(0.02, picture[(ch * h + y) * w + x]));
                    logits[ch][y][x] = Math.log(p / (1 - p));
                }
            }
        }
        double[][][] spatial = mix == null ? logits : unmix(logits, mix);
        // Separable forward FFT: along x (a: cos, b: sin sums), then along y.
        for (int ch = 0; ch < c; ch++) {
            double[][] a = new double[h][wf];
            double[][] b = new double[h][wf];
            for (int y = 0; y < h; y++) {
                for (int kx = 0; kx < wf; kx++) {
                    for (int x = 0; x < w; x++) {
                        double angle = 2 * Math.PI * kx * x / w;
                        a[y][kx] += spatial[ch][y][x] * Math.cos(angle);
                        b[y][kx] += spatial[ch][y][x] * Math.sin(angle);
                    }
                }
            }
            for (int ky = 0; ky < h; ky++) {
                for (int kx = 0; kx < wf; kx++) {
                    double re = 0;
                    double im = 0;
                    for (int y = 0; y < h; y++) {
                        double angle = 2 * Math.PI * ky * y / h;
                        re += Math.cos(angle) * a[y][kx] - Math.sin(angle) * b[y][kx];
                        im -= Math.sin(angle) * a[y][kx] + Math.cos(angle) * b[y][kx];
                    }
                    double toSpectrum = MAGIC / Math.sqrt((double) h * w) / scales[ky][kx];
                    out[(ch * h + ky) * 2 * wf + kx] += re * toSpectrum;
                    out[(ch * h + ky) * 2 * wf + wf + kx] += im * toSpectrum;
                }
            }
        }
        return out;
    }

    /** Per pixel, the colour vector v with mix * v = the given one. */
    private static double[][][] unmix(double[][][] mixed, double[][] mix) {
        INDArray inverse = org.nd4j.linalg.inverse.InvertMatrix.invert(Nd4j.create(mix), false);
        int h = mixed[0].length;
        int w = mixed[0][0].length;
        double[][][] out = new double[3][h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int r = 0; r < 3; r++) {
                    for (int col = 0; col < 3; col++) {
                        out[r][y][x] += inverse.getDouble(r, col) * mixed[col][y][x];
                    }
                }
            }
        }
        return out;
    }

    @Override
    public INDArray parameter() {
        return spectrum;
    }

    @Override
    public INDArray image() {
        INDArray scaled = spectrum.like();
        Nd4j.exec(new BroadcastMulOp(spectrum, scale, scaled, 2, 3));
        INDArray spatial = inverse(scaled);
        INDArray mixed = colour == null ? spatial : mixChannels(spatial, colour);
        unit.assign(Transforms.sigmoid(mixed, true));
        image.assign(space.toInput(unit));
        return image;
    }

    /**
     * Multiply-adds of one step's matrix products for images of {@code shape} ([n, c, h, w]): the inverse FFT
     * ({@code Cy (S Q1) - Sy (S Q2)}: h x h by h x 2wf, then h x 2wf by 2wf x w, for the cosine and the sine part
     * of each image channel) and its adjoint in {@link #backward}, as many again; 8 wf h (h + w) per image channel,
     * wf = w / 2 + 1. They grow as the side cubed: 2.6e10 for 8 RGB images of 512 px against 4.1e8 at 128 px.
     */
    public static long multiplyAdds(long[] shape) {
        long h = shape[2];
        long w = shape[3];
        return shape[0] * shape[1] * 8 * (w / 2 + 1) * h * (h + w);
    }

    /**
     * The inverse FFT of a scaled spectrum [n, c, h, 2wf]: Cy (S Q1) - Sy (S Q2), as [n, c, h, w], in batched products
     * of each image's own matrices: one product over the whole batch summed in another order as the batch grew (OpenBLAS
     * chooses its kernels by the matrices' sizes), so a gallery's images changed with its minibatch.
     */
    private INDArray inverse(INDArray s) {
        long n = s.size(0), c = s.size(1), h = s.size(2), f = s.size(3), w = q1.size(2);
        INDArray rows = s.permute(0, 2, 1, 3).dup('c').reshape('c', n, h, c * f);          // [n, ky, c * 2wf]
        INDArray cosRows = Nd4j.matmul(cosY, rows).reshape('c', n, h * c, f);             // [n, y * c, 2wf]
        INDArray sinRows = Nd4j.matmul(sinY, rows).reshape('c', n, h * c, f);
        INDArray image = Nd4j.matmul(cosRows, q1).subi(Nd4j.matmul(sinRows, q2));         // [n, y * c, x]
        return image.reshape('c', n, h, c, w).permute(0, 2, 1, 3).dup('c');
    }

    /** {@code m} repeated {@code n} times, [n, rows, columns], in c order: a batched product takes one matrix per image. */
    private static INDArray tiled(INDArray m, long n) {
        return m.reshape(1, m.size(0), m.size(1)).repeat(0, n);
    }

    @Override
    public INDArray backward(INDArray imageGradient) {
        // d image / d mixed = (input space's scale, channel order) * sigmoid'(mixed), sigmoid' = u * (1 - u)
        INDArray g = space.displayGradient(imageGradient).muli(unit).muli(unit.rsub(1.0));
        if (colour != null) {
            g = mixChannels(g, colour.permute(1, 0, 2, 3).dup('c'));
        }
        // The adjoint of inverse(): Cy^T G Q1^T - Sy^T G Q2^T, then the scale; batched products, as inverse().
        long n = g.size(0), c = g.size(1), h = g.size(2), w = g.size(3), f = q1.size(1);
        INDArray rows = g.permute(0, 2, 1, 3).dup('c').reshape('c', n, h, c * w);      // [n, y, c * x]
        INDArray cosRows = Nd4j.matmul(cosYt, rows).reshape('c', n, h * c, w);         // [n, ky * c, x]
        INDArray sinRows = Nd4j.matmul(sinYt, rows).reshape('c', n, h * c, w);
        INDArray spectral = Nd4j.matmul(cosRows, q1t).subi(Nd4j.matmul(sinRows, q2t));
        INDArray grad = spectral.reshape('c', n, h, c, f).permute(0, 2, 1, 3).dup('c');                // [n, c, ky, 2wf]
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
        return InputSpace.vector(new double[(int) shape[1]], spectrum.dataType());
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
