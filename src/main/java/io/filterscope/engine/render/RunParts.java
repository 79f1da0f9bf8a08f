package io.filterscope.engine.render;

import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.optimizer.OptimizerSettings;
import io.filterscope.engine.param.ParameterizationSpec;
import io.filterscope.engine.regularizer.Regularizer;
import io.filterscope.engine.transform.Transform;
import java.util.List;

/**
 * Everything a run is made of besides its network and objectives, as a preset builds it (Lucent's
 * {@code render_vis(model, objective, param_f, optimizer, transforms)}): how the image is represented, how
 * it moves, what is done to it before the network sees it and after each step, the penalty every image
 * carries, and the leaky start of the backward pass.
 *
 * @param penalty a term added to every image's objective (e.g. {@code -0.3 * tv}), or null
 */
public record RunParts(ParameterizationSpec parameterization, OptimizerSettings optimizer, List<Transform> transforms,
                       List<Regularizer> regularizers, Objective penalty, LeakyStart leak) {

    public RunParts {
        transforms = List.copyOf(transforms);
        regularizers = List.copyOf(regularizers);
    }

    /** The network's input shape for images of {@code imageShape}: what the transforms turn them into. */
    public long[] inputShape(long[] imageShape) {
        long[] shape = imageShape;
        for (Transform t : transforms) {
            shape = t.outputShape(shape);
        }
        return shape;
    }

    /** The network's input size for square images of {@code size} px. */
    public int inputSize(int size) {
        return (int) inputShape(new long[] {1, 1, size, size})[2];
    }
}
