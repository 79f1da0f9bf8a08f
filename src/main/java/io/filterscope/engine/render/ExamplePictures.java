package io.filterscope.engine.render;

import io.filterscope.engine.objective.Objective;
import java.util.List;

/**
 * What a model's example pictures (its held-out data set) say about objectives: which pictures excite each
 * one most, and whether it ever fires on any of them. A run starts from the first (with {@code init}
 * {@code examples}) and calls a filter dead only if the second says it never fires either.
 */
public interface ExamplePictures {

    /**
     * Per objective, the mean of the {@code k} example pictures on which it is highest, as display values
     * (planar {@code c*h*w}, in [0, 1]); an entry is null where the examples cannot say (pictures of another
     * size, an objective on no layer or a sum of several).
     */
    float[][] topMeans(List<Objective> objectives, int size, int k);

    /**
     * Does one bounded piece of the work {@link #topMeans} needs for these objectives at this size (scoring a slice of
     * the pictures at one of their layers), so that a caller can spread it out; returns whether none is left (at
     * once when there was none).
     */
    boolean scoreSlice(List<Objective> objectives, int size);

    /** Whether the objective rises above {@link AscentRun#DEAD_BELOW} on some example picture; null when they cannot say. */
    Boolean fires(Objective objective);
}
