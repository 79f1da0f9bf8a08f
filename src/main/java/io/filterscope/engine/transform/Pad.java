package io.filterscope.engine.transform;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import io.filterscope.engine.param.InputSpace;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Lucid's {@code pad}: a border of {@code pixels} mid-grey pixels around the image, so that the transforms
 * after it move grey, not the image's own edge, into view, and the image's border is not a special place
 * to put features. The network then sees an image {@code 2 * pixels} larger each way.
 *
 * @param pixels border width in pixels
 * @param space  the model's input space, whose mid-grey fills the border
 */
public record Pad(int pixels, InputSpace space) implements Transform {

    public Pad {
        if (pixels < 0) {
            throw new IllegalArgumentException("pad must be at least 0 pixels, got " + pixels);
        }
    }

    @Override
    public long[] outputShape(long[] shape) {
        return new long[] {shape[0], shape[1], shape[2] + 2L * pixels, shape[3] + 2L * pixels};
    }

    @Override
    public Sampled sample(Random rng, long[] shape) {
        return new Sampled() {
            @Override
            public INDArray forward(INDArray image) {
                INDArray out = Nd4j.zeros(image.dataType(), outputShape(image.shape()));
                INDArray grey = InputSpace.vector(space.neutral((int) image.size(1)), image.dataType());
                Nd4j.exec(new BroadcastAddOp(out, grey, out, 1));
                inner(out, image.shape()).assign(image);
                return out;
            }

            @Override
            public INDArray backward(INDArray gradient) {
                long[] inner = {gradient.size(0), gradient.size(1), gradient.size(2) - 2L * pixels, gradient.size(3) - 2L * pixels};
                return inner(gradient, inner).dup('c');
            }
        };
    }

    /** The view of {@code padded} where the unpadded image of {@code shape} sits. */
    private INDArray inner(INDArray padded, long[] shape) {
        return padded.get(all(), all(), interval(pixels, pixels + shape[2]), interval(pixels, pixels + shape[3]));
    }
}
