package io.filterscope.engine.param;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How an {@link ImagePrior} computes its two products, each row of its input on its own, so that a row's result never
 * depends on the rows computed with it: a single BLAS product of all rows does (its kernels change with the row count;
 * a row of a 30-row {@code mmul} differed in its last bits from the same row alone), and runs sharing a step must get
 * the images they get alone. On the host for CPU builds ({@link HostPriorProducts}), as ND4J ops on the device under
 * CUDA ({@link DevicePriorProducts}); see docs/performance.md, "The prior's products on the device".
 */
interface PriorProducts {

    /** {@code mean + z . components}: [n, c * h * w] of z's type, for z [n, k]. */
    INDArray logits(INDArray z);

    /** {@code g . components^T}: [n, k] of g's type, for g [n, c * h * w]. */
    INDArray codeGradient(INDArray g);
}
