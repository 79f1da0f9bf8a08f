package io.filterscope.engine.regularizer;

import io.filterscope.engine.HostArrays;
import io.filterscope.engine.param.Parameterization;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keeps every image at least as contrasty as the model's training pictures: an image's contrast (the root mean square
 * of its display values' deviation from its own mean colour, over channels and pixels) is held at or above
 * its row's floor ({@code floors}), by moving its parameter along that contrast's gradient (through the parameterization's
 * {@link Parameterization#backward}) until it reaches the floor, and projecting it back. A flat picture is off the
 * data's manifold: the mean of a linear filter's map, as emoji-cnn's conv1 is, is highest for one flat colour, and some
 * deeper colour filters answer a flat colour more than any example picture, so without it their gallery tiles were
 * flat (docs/quality.md). The most exciting picture with the data's contrast shows the filter's colour and a pattern
 * the data could hold instead. An image already above the floor is left as it is.
 *
 * <p>Its contrast is not the one issue 13's check (c) measures ({@code PictureMeasures.contrast}, the standard
 * deviation around the picture's one mean): a flat saturated colour has that one (flat red: 0.47) and none of this.
 * A picture's standard deviation is never below its deviation from its mean colour, so an image at the floor passes (c).
 *
 * <p>The floor is a value per image (row): a gallery's filters need not share one ({@code Presets.contrastReferences}).
 * Runs whose floors are equal update as rows of one block ({@code SharedRows}), each run's rows in turn, so row {@code r}
 * of the block is held at {@code floors[r % floors.length]}: one floor holds every row, and runs of {@code n} floors
 * have {@code n} rows each.
 *
 * @param floors the least contrast per row, display units (the 1st percentile of the training pictures' standard
 *               deviation, or their median for a filter whose best flat colour rivals its example pictures), or one for every row
 */
public record ContrastFloor(double[] floors) implements Regularizer {
    /** Newton steps per application at most: one reaches the floor within a few percent, the next within rounding. */
    static final int PASSES = 3;
    /** A row is taken to be at the floor within this share of it. */
    private static final double TOLERANCE = 1e-3;

    public ContrastFloor {
        if (floors.length == 0) {
            throw new IllegalArgumentException("a contrast floor needs a floor per row, or one, got none");
        }
        for (double floor : floors) {
            if (!(floor > 0)) {
                throw new IllegalArgumentException("a contrast floor must be above 0, got " + floor);
            }
        }
        floors = floors.clone();
    }

    /** The floors, a copy. */
    @Override
    public double[] floors() {
        return floors.clone();
    }

    /** One floor for every row. */
    public ContrastFloor(double floor) {
        this(new double[] {floor});
    }

    /** The floor of each of {@code n} rows. @throws IllegalArgumentException when the floors do not repeat over them */
    private double[] rows(long n) {
        if (n % floors.length != 0) {
            throw new IllegalArgumentException("a contrast floor of " + floors.length + " rows cannot hold " + n + " images");
        }
        double[] each = new double[(int) n];
        for (int r = 0; r < n; r++) {
            each[r] = floors[r % floors.length];
        }
        return each;
    }

    /**
     * Moves each row below its floor by Newton steps, row by row as if it were alone: a pass leaves a row already at its
     * floor exactly as it was (projection included), so a run's image does not depend on the runs whose rows share its
     * block. Each row's sums are {@link HostArrays#rowSums}, the same bits alone and among other rows.
     */
    @Override
    public void apply(Parameterization image, INDArray imageGradient, int step) {
        double[] floor = null;
        for (int pass = 0; pass < PASSES; pass++) {
            INDArray display = image.space().toDisplay(image.image());
            int n = (int) display.size(0);
            long values = display.length() / n;
            INDArray planes = display.reshape('c', n * display.size(1), values / display.size(1));
            planes.subiColumnVector(column(HostArrays.rowSums(planes), 1.0 / planes.size(1), 0, planes.dataType()));
            INDArray deviation = display.reshape('c', n, values);
            double[] contrast = HostArrays.rowSums(deviation.mul(deviation));
            floor = floor == null ? rows(n) : floor;
            double[] shortfall = new double[n];
            boolean any = false;
            for (int r = 0; r < n; r++) {
                contrast[r] = Math.sqrt(contrast[r] / values);
                if ((floor[r] - contrast[r]) / floor[r] > TOLERANCE) {
                    shortfall[r] = floor[r] - contrast[r];
                    any = true;
                }
            }
            if (!any) {
                return;
            }
            // d(contrast)/d(display) = deviation / (values * contrast); a Newton step moves the row by its shortfall.
            INDArray gradient = deviation.diviColumnVector(column(contrast, values, 1e-12, deviation.dataType())).reshape('c', display.shape());
            INDArray dp = image.backward(image.space().inputGradient(gradient));
            INDArray rows = dp.reshape('c', n, dp.length() / n);
            // Along the gradient, a row's contrast moves by its squared norm per unit of step.
            double[] factor = HostArrays.rowSums(rows.mul(rows));
            for (int r = 0; r < n; r++) {
                factor[r] = shortfall[r] / (factor[r] + 1e-12);
            }
            INDArray parameter = image.parameter();
            boolean someAtFloor = Arrays.stream(shortfall).anyMatch(s -> s == 0);
            INDArray before = someAtFloor ? parameter.dup() : null;
            parameter.addi(rows.mulColumnVector(column(factor, 1, 0, rows.dataType())).reshape('c', parameter.shape()));
            image.project();
            for (int r = 0; someAtFloor && r < n; r++) {
                if (shortfall[r] == 0) {
                    parameter.get(NDArrayIndex.interval(r, r + 1)).assign(before.get(NDArrayIndex.interval(r, r + 1)));
                }
            }
        }
    }

    /** {@code values[i] * scale + add} as an [n, 1] column of {@code type}. */
    private static INDArray column(double[] values, double scale, double add, DataType type) {
        double[] column = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            column[i] = values[i] * scale + add;
        }
        return HostArrays.of(column, type, column.length, 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContrastFloor c && Arrays.equals(floors, c.floors);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(floors);
    }

    @Override
    public String toString() {
        return "ContrastFloor" + Arrays.toString(floors);
    }

    @Override
    public boolean rowWise() {
        return true;
    }
}
