package io.filterscope.engine.param;

import io.filterscope.engine.HostArrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The prior's products as loops on the host, row by row in a fixed order, in double precision: where the host is the
 * device (CPU builds), one copy of the codes or gradients each way costs less than 2n native calls (a 30-row step of
 * emoji-cnn's prior ran at a third of the rate with {@link DevicePriorProducts}). 2 * n * k * pixels flops; 30 codes
 * of 64 for 28 px pictures take about 0.3 ms.
 */
final class HostPriorProducts implements PriorProducts {
    private final double[] mean;
    /** [k][pixels], row-major: the gradient's product reads it along its rows */
    private final double[] components;
    /** [pixels][k], row-major: the logits' product reads it along its rows */
    private final double[] componentsT;

    /**
     * @param mean       [1, pixels]
     * @param components [k, pixels]
     */
    HostPriorProducts(INDArray mean, INDArray components) {
        this.mean = mean.data().asDouble();
        this.components = components.dup('c').data().asDouble();
        this.componentsT = components.transpose().dup('c').data().asDouble();
    }

    @Override
    public INDArray logits(INDArray z) {
        int n = (int) z.size(0);
        double[] out = rowsTimes(HostArrays.doubles(z), n, (int) z.size(1), componentsT, mean.length, mean);
        return HostArrays.of(out, z.dataType(), n, mean.length);
    }

    @Override
    public INDArray codeGradient(INDArray g) {
        int n = (int) g.size(0);
        int k = components.length / mean.length;
        double[] out = rowsTimes(HostArrays.doubles(g), n, mean.length, components, k, null);
        return HostArrays.of(out, g.dataType(), n, k);
    }

    /**
     * Each row of {@code rows} [n][inner] times the transpose of {@code transposed} [cols][inner], plus {@code start}
     * [cols] (or 0): value (r, c) is {@code start[c]} plus the terms {@code rows[r][j] * transposed[c][j]} added in the
     * order of j, so a row's result does not depend on how many rows there are. Both factors are read along their rows;
     * four rows times four columns go at a time, their sixteen sums held in registers, so each value read serves four
     * products and nothing is stored until a sum is done (the loop over a row-major [inner][cols] matrix, adding each
     * term into the output arrays, took 1.5 times as long for a 28 px prior's products, 30 rows of 64 or 784 values).
     * Leftover rows and columns are summed one value at a time, in the same order.
     */
    static double[] rowsTimes(double[] rows, int n, int inner, double[] transposed, int cols, double[] start) {
        double[] out = new double[n * cols];
        int whole = n - n % 4;
        int wide = cols - cols % 4;
        for (int row = 0; row < whole; row += 4) {
            for (int c = 0; c < wide; c += 4) {
                fourByFour(rows, row, inner, transposed, c, start, out, cols);
            }
            for (int r = row; r < row + 4; r++) {
                for (int c = wide; c < cols; c++) {
                    out[r * cols + c] = dot(rows, r, inner, transposed, c, start);
                }
            }
        }
        for (int r = whole; r < n; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = dot(rows, r, inner, transposed, c, start);
            }
        }
        return out;
    }

    /** Values (row..row+3, c..c+3) of {@link #rowsTimes} into {@code out} [n][cols]. */
    private static void fourByFour(double[] rows, int row, int inner, double[] transposed, int c, double[] start,
                                   double[] out, int cols) {
        int r0 = row * inner;
        int r1 = r0 + inner;
        int r2 = r1 + inner;
        int r3 = r2 + inner;
        int m0 = c * inner;
        int m1 = m0 + inner;
        int m2 = m1 + inner;
        int m3 = m2 + inner;
        double s0 = start == null ? 0 : start[c];
        double s1 = start == null ? 0 : start[c + 1];
        double s2 = start == null ? 0 : start[c + 2];
        double s3 = start == null ? 0 : start[c + 3];
        double a00 = s0, a01 = s1, a02 = s2, a03 = s3;
        double a10 = s0, a11 = s1, a12 = s2, a13 = s3;
        double a20 = s0, a21 = s1, a22 = s2, a23 = s3;
        double a30 = s0, a31 = s1, a32 = s2, a33 = s3;
        for (int j = 0; j < inner; j++) {
            double x0 = transposed[m0 + j];
            double x1 = transposed[m1 + j];
            double x2 = transposed[m2 + j];
            double x3 = transposed[m3 + j];
            double b = rows[r0 + j];
            a00 += b * x0;
            a01 += b * x1;
            a02 += b * x2;
            a03 += b * x3;
            b = rows[r1 + j];
            a10 += b * x0;
            a11 += b * x1;
            a12 += b * x2;
            a13 += b * x3;
            b = rows[r2 + j];
            a20 += b * x0;
            a21 += b * x1;
            a22 += b * x2;
            a23 += b * x3;
            b = rows[r3 + j];
            a30 += b * x0;
            a31 += b * x1;
            a32 += b * x2;
            a33 += b * x3;
        }
        int o = row * cols + c;
        out[o] = a00;
        out[o + 1] = a01;
        out[o + 2] = a02;
        out[o + 3] = a03;
        o += cols;
        out[o] = a10;
        out[o + 1] = a11;
        out[o + 2] = a12;
        out[o + 3] = a13;
        o += cols;
        out[o] = a20;
        out[o + 1] = a21;
        out[o + 2] = a22;
        out[o + 3] = a23;
        o += cols;
        out[o] = a30;
        out[o + 1] = a31;
        out[o + 2] = a32;
        out[o + 3] = a33;
    }

    /** Value (r, c) of {@link #rowsTimes}. */
    private static double dot(double[] rows, int r, int inner, double[] transposed, int c, double[] start) {
        double sum = start == null ? 0 : start[c];
        int from = r * inner;
        int m = c * inner;
        for (int j = 0; j < inner; j++) {
            sum += rows[from + j] * transposed[m + j];
        }
        return sum;
    }
}
