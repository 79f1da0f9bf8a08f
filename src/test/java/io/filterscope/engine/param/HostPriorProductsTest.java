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
        int cols = 37;
        double[] matrix = rng.doubles(inner * cols, -1, 1).toArray();
        double[] start = rng.doubles(cols, -1, 1).toArray();
        for (int n = 1; n <= 9; n++) { // four rows at a time, and the rows left over
            double[] rows = rng.doubles(n * inner, -1, 1).toArray();
            for (double[] offset : new double[][] {start, null}) {
                double[] all = HostPriorProducts.rowsTimes(rows, n, inner, matrix, cols, offset);
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
                    assertArrayEquals(expected, HostPriorProducts.rowsTimes(row, 1, inner, matrix, cols, offset), 0.0, "row " + r + " alone");
                }
            }
        }
    }
}
