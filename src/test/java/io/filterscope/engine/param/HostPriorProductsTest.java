package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HostPriorProductsTest {
    @Test
    void eachRowIsTheProductItHasAloneWhateverRowsAreBesideIt() {
        Random rng = new Random(3);
        int inner = 11;
        int cols = 37; // four columns at a time, and the columns left over
        double[] matrix = rng.doubles(inner * cols, -1, 1).toArray();
        double[] transposed = transpose(matrix, inner, cols);
        double[] start = rng.doubles(cols, -1, 1).toArray();
        for (int n = 1; n <= 9; n++) { // four rows at a time, and the rows left over
            double[] rows = rng.doubles(n * inner, -1, 1).toArray();
            for (double[] offset : new double[][] {start, null}) {
                double[] all = HostPriorProducts.rowsTimes(rows, n, inner, transposed, cols, offset);
                for (int r = 0; r < n; r++) {
                    double[] row = Arrays.copyOfRange(rows, r * inner, (r + 1) * inner);
                    double[] expected = new double[cols];
                    for (int c = 0; c < cols; c++) {
                        double sum = offset == null ? 0 : offset[c];
                        for (int j = 0; j < inner; j++) {
                            sum += row[j] * matrix[j * cols + c];
                        }
                        expected[c] = sum;
                    }
                    assertArrayEquals(expected, Arrays.copyOfRange(all, r * cols, (r + 1) * cols), 0.0, "row " + r + " of " + n);
                    assertArrayEquals(expected, HostPriorProducts.rowsTimes(row, 1, inner, transposed, cols, offset), 0.0, "row " + r + " alone");
                }
            }
        }
    }

    /**
     * The register-tiled loops give bit for bit what the loop they replaced gave (kept here as {@link #before}), at a
     * 28 px prior's shapes (30 codes of 64 times components of 784 pixels, and the gradient back) and at ragged ones.
     */
    @Test
    void theTiledProductsAreBitForBitTheRowLoopsTheyReplaced() {
        Random rng = new Random(17);
        int[][] shapes = {{30, 64, 784}, {30, 784, 64}, {7, 5, 13}, {1, 64, 784}, {6, 3, 2}};
        for (int[] shape : shapes) {
            int n = shape[0];
            int inner = shape[1];
            int cols = shape[2];
            double[] matrix = rng.doubles(inner * cols, -3, 3).toArray();
            double[] rows = rng.doubles(n * inner, -3, 3).toArray();
            double[] start = rng.doubles(cols, -3, 3).toArray();
            for (double[] offset : new double[][] {start, null}) {
                double[] expected = before(rows, n, inner, matrix, cols, offset);
                double[] actual = HostPriorProducts.rowsTimes(rows, n, inner, transpose(matrix, inner, cols), cols, offset);
                for (int i = 0; i < expected.length; i++) {
                    if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                        throw new AssertionError(Arrays.toString(shape) + " value " + i + ": " + actual[i] + " was " + expected[i]);
                    }
                }
            }
        }
    }

    private static double[] transpose(double[] matrix, int rows, int cols) {
        double[] t = new double[matrix.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = matrix[i * cols + j];
            }
        }
        return t;
    }

    /** HostPriorProducts.rowsTimes as it was: {@code matrix} [inner][cols], each term added into the output rows. */
    private static double[] before(double[] rows, int n, int inner, double[] matrix, int cols, double[] start) {
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
