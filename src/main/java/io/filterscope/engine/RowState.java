package io.filterscope.engine;

import java.util.List;

/**
 * A part's state kept per image, in rows of its arrays ([n, ...]): a parameterization's parameter and image, an
 * optimizer's moments. Runs whose parts agree can hold theirs as rows of one such part, so that each op of a step is
 * one native call for all of them ({@link io.filterscope.engine.render.AscentRun}'s shared rows): every op on these
 * rows treats each row on its own, so a run's rows come out the same whatever rows are beside them.
 *
 * @param <T> the part's own type
 */
public interface RowState<T> {

    /**
     * A new part whose rows are those of {@code parts} in order (this one among them or not), copied: the parts keep
     * their own, which stay as they are until {@link #unstack} (a single part's arrays may be used as they are).
     *
     * @throws IllegalArgumentException when the parts are not of one kind and row shape
     */
    T stack(List<T> parts);

    /** Copies this part's rows back from {@code stacked}, where they start at row {@code first}. */
    void unstack(T stacked, int first);
}
