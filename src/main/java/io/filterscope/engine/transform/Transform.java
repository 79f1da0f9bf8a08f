package io.filterscope.engine.transform;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Something done to the image before the network sees it, new at random each step (Distill's
 * transformation robustness): a run applies its list of transforms in order, and carries the gradient back
 * through their adjoints in reverse. Each is a small record of its own settings.
 */
public interface Transform {

    /** This step's transform, drawn with {@code rng}, for images of {@code shape} ([n, c, h, w]). */
    Sampled sample(Random rng, long[] shape);

    /** The shape it turns an image of {@code shape} into; most keep it. */
    default long[] outputShape(long[] shape) {
        return shape;
    }

    /** One step's draw of a transform: the map and its exact adjoint, both on the device. */
    interface Sampled {
        /** The transformed images (a new array). */
        INDArray forward(INDArray image);

        /**
         * The transformed images written into {@code into}, which has their shape ([n, c, h, w]; a view, such as a run's
         * rows of the network's input, is fine): what {@link #forward(INDArray)} gives, without a new array where the
         * transform can write in place.
         */
        default void forward(INDArray image, INDArray into) {
            into.assign(forward(image));
        }

        /** The adjoint of {@link #forward} applied to a gradient at the transformed images. */
        INDArray backward(INDArray gradient);
    }
}
