package io.filterscope.engine.net;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseTransformSameOp;

/**
 * {@code z = x * y} for arrays of one shape, through libnd4j's legacy pairwise Multiply (op 3 of its pairwise
 * transforms) rather than the broadcasting custom op "multiply" that ND4J's {@code MulOp} and {@code muli} run: the
 * same products, about 1.8 times faster on a 64x128x128 float map (0.13 against 0.23 ms on one thread), since it skips
 * the broadcast machinery. {@code z} may be {@code x} or {@code y}. Not differentiable in SameDiff (never used there).
 */
final class ElementProduct extends BaseTransformSameOp {
    /** libnd4j's legacy pairwise transform "Multiply". */
    private static final int MULTIPLY = 3;

    /** @throws IllegalArgumentException when the shapes differ (no broadcasting) */
    ElementProduct(INDArray x, INDArray y, INDArray z) {
        super(x, y, z);
        if (!x.equalShapes(y) || !x.equalShapes(z)) {
            throw new IllegalArgumentException("element product of shapes " + java.util.Arrays.toString(x.shape()) + ", "
                    + java.util.Arrays.toString(y.shape()) + " into " + java.util.Arrays.toString(z.shape()));
        }
    }

    @Override
    public int opNum() {
        return MULTIPLY;
    }

    @Override
    public String opName() {
        return "element_product";
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> gradients) {
        throw new UnsupportedOperationException("ElementProduct has no SameDiff gradient");
    }
}
