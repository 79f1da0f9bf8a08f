package io.filterscope.engine.param;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The prior's products as one vector-matrix product per row on the arrays' device: the same call, of the same shapes,
 * that a run alone makes, and no copy to the host, so under CUDA the products stay on the GPU. Results are made in the
 * current workspace, if any. On CPU each product is a native call (tens of microseconds for a 28 px prior, and a
 * full read of the components for each row), which is why CPU builds use {@link HostPriorProducts}.
 */
final class DevicePriorProducts implements PriorProducts {
    /** [1, pixels] */
    private final INDArray mean;
    /** [k, pixels] */
    private final INDArray components;
    /** [pixels, k], the transpose laid out row-major */
    private final INDArray componentsT;

    DevicePriorProducts(INDArray mean, INDArray components) {
        this.mean = mean;
        this.components = components;
        this.componentsT = components.transpose().dup('c');
    }

    @Override
    public INDArray logits(INDArray z) {
        INDArray out = Nd4j.create(z.dataType(), z.size(0), mean.length());
        eachRow(z, as(components, z), out);
        return out.addiRowVector(as(mean, z));
    }

    @Override
    public INDArray codeGradient(INDArray g) {
        INDArray out = Nd4j.create(g.dataType(), g.size(0), components.size(0));
        eachRow(g, as(componentsT, g), out);
        return out;
    }

    /** Row i of {@code out} = row i of {@code a} times {@code b}: n products of [1, m] by [m, p], whatever n is. */
    private static void eachRow(INDArray a, INDArray b, INDArray out) {
        for (long row = 0; row < a.size(0); row++) {
            a.getRow(row, true).mmuli(b, out.getRow(row, true));
        }
    }

    /** {@code values} in {@code like}'s type (the float values themselves for float codes, as the engine's are). */
    private static INDArray as(INDArray values, INDArray like) {
        return values.dataType() == like.dataType() ? values : values.castTo(like.dataType());
    }
}
