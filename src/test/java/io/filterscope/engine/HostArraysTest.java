package io.filterscope.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class HostArraysTest {
    /** Values that round differently by any other rule than the cast op's: halfway cases, float subnormals, overflow, NaN, -0. */
    private static double[] awkward(int n) {
        Random rng = new Random(7);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 8) {
                case 0 -> rng.nextGaussian();
                case 1 -> (double) Math.nextUp(1f) / 2 + 1.0 / 2 + Math.ulp(1.0) * (rng.nextInt(5) - 2); // near a float tie
                case 2 -> 1e-40 * rng.nextDouble(); // a float subnormal
                case 3 -> 1e39 * (rng.nextBoolean() ? 1 : -1); // beyond float's range
                case 4 -> Double.NaN;
                case 5 -> -0.0;
                case 6 -> rng.nextDouble() * 1e-3;
                default -> rng.nextGaussian() * 1e6;
            };
        }
        return v;
    }

    @Test
    void floatArraysAreBitForBitTheCastOpsArrays() {
        double[] v = awkward(2 * 3 * 5 * 7);
        INDArray cast = Nd4j.createFromArray(v).castTo(DataType.FLOAT).reshape('c', 2, 3, 5, 7);
        INDArray mine = HostArrays.of(v, DataType.FLOAT, 2, 3, 5, 7);
        assertEquals(DataType.FLOAT, mine.dataType());
        assertArrayEquals(cast.shape(), mine.shape());
        assertEquals('c', mine.ordering());
        float[] a = cast.data().asFloat();
        float[] b = mine.data().asFloat();
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(b[i]), "value " + i + ": " + v[i]);
        }
    }

    @Test
    void doubleAndHalfArraysHoldWhatTheCastOpGives() {
        double[] v = awkward(24);
        for (int i = 4; i < v.length; i += 8) {
            v[i] = 0.5; // NaN aside, for equality
        }
        assertArrayEquals(v, HostArrays.of(v, DataType.DOUBLE, 4, 6).data().asDouble());
        assertEquals(Nd4j.createFromArray(v).castTo(DataType.HALF).reshape('c', 4, 6), HostArrays.of(v, DataType.HALF, 4, 6));
    }

    @Test
    void aShapeThatDoesNotHoldTheValuesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> HostArrays.of(new double[6], DataType.FLOAT, 2, 2));
    }

    @Test
    void doublesAndFloatsReadArraysViewsOfRowsAndStridedViewsAlike() {
        INDArray batch = Nd4j.createFromArray(awkward(5 * 3 * 4 * 4)).castTo(DataType.FLOAT).reshape('c', 5, 3, 4, 4);
        INDArray rows = batch.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all());
        INDArray strided = batch.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(1),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
        for (INDArray x : new INDArray[] {batch, rows, strided, batch.permute(0, 2, 3, 1), batch.dup('f'), batch.castTo(DataType.DOUBLE)}) {
            double[] expected = x.dup('c').data().asDouble();
            double[] mine = HostArrays.doubles(x);
            float[] narrow = HostArrays.floats(x);
            assertEquals(expected.length, mine.length);
            assertEquals(expected.length, narrow.length);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(mine[i]), "value " + i);
                assertEquals(Float.floatToRawIntBits((float) expected[i]), Float.floatToRawIntBits(narrow[i]), "float " + i);
            }
        }
    }

    @Test
    void writeFillsArraysViewsOfRowsAndStridedViewsAsAssigningTheArrayOfDoes() {
        double[] v = awkward(2 * 3 * 4 * 2);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray batch = Nd4j.zeros(type, 5, 3, 4, 4);
            INDArray rows = batch.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2));
            INDArray whole = Nd4j.zeros(type, 2, 3, 4, 2);
            INDArray wholeRows = Nd4j.zeros(type, 4, 3, 4, 2).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all());
            INDArray expected = HostArrays.of(v, type, 2, 3, 4, 2);
            for (INDArray into : new INDArray[] {rows, whole, wholeRows}) {
                HostArrays.write(v, into);
                assertArrayEquals(expected.dup('c').data().asDouble(), into.dup('c').data().asDouble(), type + " " + into.shapeInfoToString());
            }
            assertEquals(0, batch.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).amaxNumber().doubleValue(), "rows before the view");
            assertEquals(0, batch.get(org.nd4j.linalg.indexing.NDArrayIndex.point(3)).amaxNumber().doubleValue(), "rows after the view");
        }
        assertThrows(IllegalArgumentException.class, () -> HostArrays.write(v, Nd4j.zeros(DataType.FLOAT, 2, 2)));
    }

    /**
     * A NaN or an infinity anywhere in the array, and only there, makes it not finite: in an array of its own and in a
     * view of whole rows (read on the host; a NaN in the rows around the view does not count), in a strided view and in
     * an array too large for the host (one native sum).
     */
    @Test
    void allFiniteSeesEveryNonFiniteValueOfTheArrayAndNoOther() {
        INDArray batch = Nd4j.rand(DataType.FLOAT, 4, 1, 28, 28);
        INDArray rows = batch.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
        assertTrue(HostArrays.allFinite(batch) && HostArrays.allFinite(rows));
        batch.putScalar(new long[] {0, 0, 5, 5}, Float.NaN);
        batch.putScalar(new long[] {3, 0, 27, 27}, Float.POSITIVE_INFINITY);
        assertTrue(HostArrays.allFinite(rows), "the rows around the view");
        assertFalse(HostArrays.allFinite(batch));
        for (float bad : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
            INDArray own = Nd4j.rand(DataType.FLOAT, 1, 1, 28, 28);
            own.putScalar(new long[] {0, 0, 27, 27}, bad);
            assertFalse(HostArrays.allFinite(own), "the last value " + bad);
            rows.putScalar(new long[] {1, 0, 0, 0}, bad);
            assertFalse(HostArrays.allFinite(rows), "a view's value " + bad);
            rows.putScalar(new long[] {1, 0, 0, 0}, 0);
        }
        // A run's rows of a batch stored channels last, as the network's input gradient is: [n, c, h, w] over NHWC memory.
        INDArray channelsLast = Nd4j.rand(DataType.FLOAT, 4, 28, 28, 3);
        INDArray nchw = channelsLast.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3)).permute(0, 3, 1, 2);
        channelsLast.putScalar(new long[] {0, 27, 27, 2}, Float.NaN);
        channelsLast.putScalar(new long[] {3, 0, 0, 0}, Float.NaN);
        assertTrue(HostArrays.allFinite(nchw), "the rows around a channels-last view");
        channelsLast.putScalar(new long[] {2, 27, 27, 2}, Float.NaN);
        assertFalse(HostArrays.allFinite(nchw), "the last value of a channels-last view");
        INDArray transposed = Nd4j.rand(DataType.FLOAT, 28, 28).transpose();
        transposed.putScalar(3, 4, Float.NaN);
        assertFalse(HostArrays.allFinite(transposed));
        // A view with gaps between its values (summed natively): a NaN in a gap does not count, one in the view does.
        INDArray wide = Nd4j.rand(DataType.FLOAT, 28, 56);
        INDArray gapped = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 28));
        wide.putScalar(5, 40, Float.NaN);
        assertTrue(HostArrays.allFinite(gapped));
        gapped.putScalar(5, 27, Float.NaN);
        assertFalse(HostArrays.allFinite(gapped));
        INDArray large = Nd4j.rand(DataType.FLOAT, 1, 3, 128, 128);
        assertTrue(HostArrays.allFinite(large));
        large.putScalar(new long[] {0, 2, 127, 127}, Float.NaN);
        assertFalse(HostArrays.allFinite(large));
    }

    @Test
    void rowSumsGiveARowTheSameBitsAloneAndAmongOthersAndTheSumItHolds() {
        // 12,544 values a row (fashion-cnn's conv4 at 28 px): a native sum of an array's only row splits it among threads.
        Random rng = new Random(3);
        for (int length : new int[] {1, 7, 1021, 12544, 100003}) {
            double[] values = new double[3 * length];
            for (int i = 0; i < values.length; i++) {
                values[i] = rng.nextGaussian() + 0.5;
            }
            INDArray three = HostArrays.of(values, DataType.FLOAT, 3, length);
            double[] together = HostArrays.rowSums(three);
            for (int r = 0; r < 3; r++) {
                double[] alone = HostArrays.rowSums(three.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(r, r + 1)).dup());
                assertEquals(together[r], alone[0], 0.0, "row " + r + " of " + length + " values");
                double exact = 0;
                for (int i = r * length; i < (r + 1) * length; i++) {
                    exact += (float) values[i];
                }
                assertEquals(exact, together[r], 1e-6 * length, "row " + r + " of " + length + " values");
            }
        }
    }

    @Test
    void rowSumsReadAnyLayoutOfTheRowsValues() {
        INDArray nchw = Nd4j.rand(DataType.FLOAT, 2, 5, 30, 30);
        INDArray nhwc = nchw.permute(0, 2, 3, 1).dup('c').permute(0, 3, 1, 2);
        double[] plain = HostArrays.rowSums(nchw);
        double[] permuted = HostArrays.rowSums(nhwc);
        for (int r = 0; r < 2; r++) {
            assertEquals(nchw.get(org.nd4j.linalg.indexing.NDArrayIndex.point(r)).sumNumber().doubleValue(), plain[r], 1e-2);
            assertEquals(plain[r], permuted[r], 1e-2);
        }
    }
}
