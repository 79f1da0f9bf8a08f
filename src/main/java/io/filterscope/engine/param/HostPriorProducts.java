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
    /** [k][pixels], row-major */
    private final double[] components;
    /** [pixels][k], row-major */
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
        double[] out = rowsTimes(HostArrays.doubles(z), n, (int) z.size(1), components, mean.length, mean);
        return HostArrays.of(out, z.dataType(), n, mean.length);
    }

    @Override
    public INDArray codeGradient(INDArray g) {
        int n = (int) g.size(0);
        int k = componentsT.length / mean.length;
        double[] out = rowsTimes(HostArrays.doubles(g), n, mean.length, componentsT, k, null);
        return HostArrays.of(out, g.dataType(), n, k);
    }

    /**
     * Each row of {@code rows} [n][inner] times {@code matrix} [inner][cols], plus {@code start} [cols] (or 0), adding
     * the terms of a row in the order of {@code inner}: a row's result does not depend on how many rows there are.
     * Rows go four at a time, so each row of the matrix is read once for four of them (the matrix, 64 x 784 doubles for
     * a 28 px prior, does not stay in the first-level cache): each value still sums its terms in the same order.
     */
    static double[] rowsTimes(double[] rows, int n, int inner, double[] matrix, int cols, double[] start) {
        double[] out = new double[n * cols];
        if (start != null) {
            for (int row = 0; row < n; row++) {
                System.arraycopy(start, 0, out, row * cols, cols);
            }
        }
        int row = 0;
        for (; row + 4 <= n; row += 4) {
            int at0 = row * cols;
            int at1 = at0 + cols;
            int at2 = at1 + cols;
            int at3 = at2 + cols;
            for (int j = 0; j < inner; j++) {
                double a0 = rows[row * inner + j];
                double a1 = rows[(row + 1) * inner + j];
                double a2 = rows[(row + 2) * inner + j];
                double a3 = rows[(row + 3) * inner + j];
                int from = j * cols;
                for (int c = 0; c < cols; c++) {
                    double m = matrix[from + c];
                    out[at0 + c] += a0 * m;
                    out[at1 + c] += a1 * m;
                    out[at2 + c] += a2 * m;
                    out[at3 + c] += a3 * m;
                }
            }
        }
        for (; row < n; row++) {
            int at = row * cols;
            for (int j = 0; j < inner; j++) {
                double a = rows[row * inner + j];
                int from = j * cols;
                for (int c = 0; c < cols; c++) {
                    out[at + c] += a * matrix[from + c];
                }
            }
        }
        return out;
    }
}
