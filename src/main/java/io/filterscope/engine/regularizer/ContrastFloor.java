package io.filterscope.engine.regularizer;

import io.filterscope.engine.param.Parameterization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

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

    /** The floor of each of {@code n} rows, [n, 1]. @throws IllegalArgumentException when the floors do not repeat over them */
    private INDArray rows(long n) {
        if (n % floors.length != 0) {
            throw new IllegalArgumentException("a contrast floor of " + floors.length + " rows cannot hold " + n + " images");
        }
        double[] each = new double[(int) n];
        for (int r = 0; r < n; r++) {
            each[r] = floors[r % floors.length];
        }
        return Nd4j.create(each, new long[] {n, 1});
    }

    @Override
    public void apply(Parameterization image, INDArray imageGradient, int step) {
        INDArray floor = null;
        for (int pass = 0; pass < PASSES; pass++) {
            INDArray display = image.space().toDisplay(image.image());
            long n = display.size(0);
            long values = display.length() / n;
            INDArray planes = display.reshape('c', n * display.size(1), values / display.size(1));
            planes.subiColumnVector(planes.mean(1).reshape(planes.size(0), 1));
            INDArray deviation = display.reshape('c', n, values);
            INDArray contrast = Transforms.sqrt(deviation.mul(deviation).mean(1), false).reshape(n, 1);
            if (floor == null) {
                floor = rows(n).castTo(contrast.dataType());
            }
            INDArray shortfall = floor.sub(contrast);
            if (shortfall.div(floor).maxNumber().doubleValue() <= TOLERANCE) {
                return;
            }
            shortfall = Transforms.max(shortfall, 0.0, false);
            // d(contrast)/d(display) = deviation / (values * contrast); a Newton step moves the row by its shortfall.
            INDArray gradient = deviation.diviColumnVector(contrast.mul(values).addi(1e-12)).reshape('c', display.shape());
            INDArray dp = image.backward(image.space().inputGradient(gradient));
            INDArray rows = dp.reshape('c', n, dp.length() / n);
            INDArray size = rows.mul(rows).sum(1).reshape(n, 1).addi(1e-12);
            image.parameter().addi(rows.mulColumnVector(shortfall.divi(size)).reshape('c', image.parameter().shape()));
            image.project();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContrastFloor c && java.util.Arrays.equals(floors, c.floors);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(floors);
    }

    @Override
    public String toString() {
        return "ContrastFloor" + java.util.Arrays.toString(floors);
    }

    @Override
    public boolean rowWise() {
        return true;
    }
}
