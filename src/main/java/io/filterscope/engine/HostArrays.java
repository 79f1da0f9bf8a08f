package io.filterscope.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Arrays made from values computed on the host in double precision (the warp's loops, the prior's products), in one
 * native allocation: {@code Nd4j.createFromArray(double[]).castTo(type)} made a double array and then a second one
 * by a cast op, 2-3x the cost of one creation for a 28 px image (0.15-0.37 ms against 0.05-0.17 ms on the shared
 * 2-core machine, docs/performance.md "Where thirty runs' CPU goes"), and the warp makes two a run-step. Each value
 * is rounded to the type as the cast op rounds it (to nearest), so the arrays are bit for bit the cast's.
 */
public final class HostArrays {
    private HostArrays() {
    }

    /**
     * A new c-order array of {@code type} and {@code shape} holding {@code values} (c order, rounded to float for FLOAT;
     * HALF and other types go through the cast op as before).
     *
     * @throws IllegalArgumentException when the shape does not hold exactly {@code values.length} values
     */
    public static INDArray of(double[] values, DataType type, long... shape) {
        long length = 1;
        for (long s : shape) {
            length *= s;
        }
        if (length != values.length) {
            throw new IllegalArgumentException(values.length + " values for an array of shape " + java.util.Arrays.toString(shape));
        }
        if (type == DataType.FLOAT) {
            return Nd4j.create(narrow(values), shape, 'c');
        }
        if (type == DataType.DOUBLE) {
            return Nd4j.create(values, shape, 'c');
        }
        return Nd4j.createFromArray(values).castTo(type).reshape('c', shape);
    }

    /**
     * The values of {@code x} (any shape, any order) in c order, widened to double: for a FLOAT array whose buffer is
     * exactly its values in c order (an array of its own, or a view of whole rows of one, as a run's rows of a batch
     * are) one bulk copy from native memory; otherwise a c-order copy first. {@code x.dup('c').data().asDouble()} made
     * a native copy of a view and then read it value by value (the warp does this twice a run-step, the prior's products
     * about five times a batch step; docs/performance.md "Host copies without a native copy").
     *
     * @param x the array to read, FLOAT or another type (others go through {@code asDouble})
     * @return a new array of {@code x.length()} values; a FLOAT value widens exactly, so the doubles are what
     *         {@code asDouble} gives
     */
    public static double[] doubles(INDArray x) {
        if (x.dataType() != DataType.FLOAT) {
            return x.dup('c').data().asDouble();
        }
        float[] narrow = floats(x);
        double[] wide = new double[narrow.length];
        for (int i = 0; i < narrow.length; i++) {
            wide[i] = narrow[i];
        }
        return wide;
    }

    /**
     * The values of {@code x} (any shape, any order) in c order as floats: for a FLOAT array whose buffer is exactly its
     * values in c order one bulk copy from native memory, otherwise a c-order copy first (other types through
     * {@code asFloat}).
     *
     * @return a new array of {@code x.length()} values
     */
    public static float[] floats(INDArray x) {
        float[][] values = {new float[(int) x.length()]};
        copy(x, values);
        return values[0];
    }

    /**
     * Copies {@code x}'s values (any shape, any order), in c order, into the arrays of {@code into} one after the other,
     * each filled whole: for a FLOAT array whose buffer is exactly its values in c order straight from its native memory,
     * otherwise from a c-order copy (other types through {@code asFloat}).
     *
     * @throws java.nio.BufferUnderflowException when {@code x} holds fewer values than {@code into} takes
     */
    public static void copy(INDArray x, float[][] into) {
        INDArray exact = x.dataType() == DataType.FLOAT && ownsItsBuffer(x) ? x : x.dup('c');
        java.nio.FloatBuffer values = exact.dataType() == DataType.FLOAT ? exact.data().asNioFloat()
                : java.nio.FloatBuffer.wrap(exact.data().asFloat());
        // A view of whole rows has a buffer of its own whose values start at the buffer's position: read on from there.
        for (float[] part : into) {
            values.get(part);
        }
        // The buffer is a view of the array's native memory, which goes when the array is collected.
        java.lang.ref.Reference.reachabilityFence(exact);
    }

    /**
     * Writes {@code values} (c order) into {@code into}, rounded to its type as {@link #of} rounds them: for a FLOAT array
     * whose buffer is exactly its values in c order (a run's rows of the network's input) one bulk copy into native
     * memory, where {@code into.assign(of(values, ...))} made an array and ran an op to copy it.
     *
     * @throws IllegalArgumentException when {@code into} does not hold exactly {@code values.length} values
     */
    public static void write(double[] values, INDArray into) {
        if (into.length() != values.length) {
            throw new IllegalArgumentException(values.length + " values for an array of shape " + java.util.Arrays.toString(into.shape()));
        }
        if (into.dataType() != DataType.FLOAT || !ownsItsBuffer(into)) {
            into.assign(of(values, into.dataType(), into.shape()));
            return;
        }
        into.data().asNioFloat().put(narrow(values));
    }

    /** The most values {@link #rowSums} has one native reduction sum as a part of a row. */
    static final int SUM_PART = 1024;

    /**
     * Each row's sum of {@code x} ([rows, ...], the rest of each row in c order): the same bits for a row whatever the
     * rows beside it and however many there are. libnd4j sums each of several rows whole, on one thread, but splits the
     * only row of an array among its threads once it holds about 4,096 values, so a run's value alone differed in its last
     * bits from the same run's in a batch (fashion-cnn's conv4 channel means, 12,544 values at 28 px). Here each row is
     * cut into at least two equal parts of at most {@link #SUM_PART} values where its length allows, so that one native
     * reduction sums every part of every row whole, and a row's parts are added on the host, in order, in double.
     *
     * @param x an array of any type and rank of at least 1; one that is not c-order contiguous is copied first
     * @return one sum per row ({@code x.size(0)} values)
     */
    public static double[] rowSums(INDArray x) {
        int n = Math.toIntExact(x.size(0));
        long m = n == 0 ? 0 : x.length() / n;
        long parts = Math.max(2, (m + SUM_PART - 1) / SUM_PART);
        while (parts < m && m % parts != 0) {
            parts++;
        }
        INDArray rows = x.reshape('c', n, m);
        double[] each = doubles(parts >= m ? rows : rows.reshape('c', n, parts, m / parts).sum(2));
        int k = each.length / Math.max(n, 1);
        double[] sums = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                sums[i] += each[i * k + j];
            }
        }
        return sums;
    }

    /** Arrays of at most this many values are checked by {@link #allFinite} on the host (a 64-image batch of 128 px RGB). */
    static final int HOST_CHECK_MAX = 1 << 22;

    /**
     * Whether every value of {@code x} is finite: a FLOAT array of at most {@link #HOST_CHECK_MAX} values that fill a
     * stretch of its buffer, in any order (a run's image gradient, or its rows of the batch's, stored channels first or
     * channels last) is read where it lies, on the host, where a native sum took an op call and a result array, as many
     * a batch step as runs in it; any other by that one native sum, which is not finite when a value is not (nor when
     * finite values overflow it).
     */
    public static boolean allFinite(INDArray x) {
        if (x.dataType() != DataType.FLOAT || x.length() > HOST_CHECK_MAX || !fillsAStretch(x)) {
            return Double.isFinite(x.sumNumber().doubleValue());
        }
        // Read in place (a copy would be fresh heap a step): the buffer's view starts at the buffer's own offset, the
        // array's values at the array's offset in it.
        java.nio.FloatBuffer values = x.data().asNioFloat();
        int end = Math.toIntExact(x.offset() + x.length());
        boolean finite = true;
        for (int i = (int) x.offset(); i < end && finite; i++) {
            finite = Float.isFinite(values.get(i));
        }
        java.lang.ref.Reference.reachabilityFence(x);
        return finite;
    }

    /**
     * Whether x's values fill {@code x.length()} places of its buffer one after the other from its offset, in whatever
     * order (a view's places never overlap, so they fill the stretch exactly when its span is its length).
     */
    private static boolean fillsAStretch(INDArray x) {
        long span = 1;
        for (int i = 0; i < x.rank(); i++) {
            if (x.size(i) > 1) {
                if (x.stride(i) <= 0) {
                    return false;
                }
                span += (x.size(i) - 1) * x.stride(i);
            }
        }
        return span == x.length();
    }

    /** Each value rounded to the nearest float, as the cast op rounds it. */
    private static float[] narrow(double[] values) {
        float[] narrow = new float[values.length];
        for (int i = 0; i < narrow.length; i++) {
            narrow[i] = (float) values[i];
        }
        return narrow;
    }

    /** Whether x's data buffer, from its start, holds exactly x's values in c order (asNioFloat starts at the buffer's own offset). */
    private static boolean ownsItsBuffer(INDArray x) {
        return x.ordering() == 'c' && x.data().length() == x.length() && org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(x);
    }
}
