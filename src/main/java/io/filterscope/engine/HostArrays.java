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
            float[] narrow = new float[values.length];
            for (int i = 0; i < narrow.length; i++) {
                narrow[i] = (float) values[i];
            }
            return Nd4j.create(narrow, shape, 'c');
        }
        if (type == DataType.DOUBLE) {
            return Nd4j.create(values, shape, 'c');
        }
        return Nd4j.createFromArray(values).castTo(type).reshape('c', shape);
    }
}
