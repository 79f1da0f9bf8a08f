package io.filterscope.engine.render;

import io.filterscope.engine.Backend;
import io.filterscope.engine.RowState;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.optimizer.Optimizer;
import io.filterscope.engine.optimizer.OptimizerSettings;
import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.param.ParameterizationSpec;
import io.filterscope.engine.regularizer.Regularizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The update of runs whose parts agree ({@link Kind}), from their images' gradients on: their parameters, optimizer
 * state and images are rows of one block ([rows, ...] arrays, each run's images in turn), so the parameterization's
 * backward, the optimizer, the regularizers, the projection, the new image and its display copy are each one op chain
 * for all of them, where each run made its own (about 35 native calls a run and step, half of a batch-30 step,
 * docs/performance.md). What differs between the runs is a value per row: each run's step size (its learning rate and
 * schedule at its own step) and Adam's bias correction at its own step count.
 * <p>
 * Every op of the chain treats each row on its own (elementwise and broadcast ops, reductions along a row, the
 * prior's products computed row by row), so a run's rows come out bit for bit as they do in a block of its own,
 * which is how a run steps alone. A block lasts while the same runs step together: it is made when they first do
 * (their state copied in) and dissolved (copied back to each run) when a run joins, leaves, rests a step, changes its
 * parts or is asked for its images.
 */
final class SharedRows {

    /**
     * What runs must share to update as one block: the parameterization's class and spec and the images' shape (so
     * the rows line up), the optimizer's kind and the regularizers (as settings: the same factors).
     */
    record Kind(Class<?> parameterization, ParameterizationSpec spec, long[] imageShape, OptimizerSettings.Kind optimizer,
                List<Regularizer> regularizers) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Kind k && parameterization == k.parameterization && spec.equals(k.spec)
                    && Arrays.equals(imageShape, k.imageShape) && optimizer == k.optimizer && regularizers.equals(k.regularizers);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(parameterization, spec, Arrays.hashCode(imageShape), optimizer, regularizers);
        }
    }

    private final List<AscentRun> members;
    private final Parameterization image;
    private final Optimizer optimizer;
    /** Each member's rows of {@link #image}'s images, kept while the parameterization hands out the same array. */
    private INDArray rowsOf;
    private final List<INDArray> memberRows = new ArrayList<>();

    private SharedRows(List<AscentRun> members) {
        this.members = List.copyOf(members);
        this.image = stack(members.stream().map(AscentRun::ownImage).toList());
        this.optimizer = stack(members.stream().map(AscentRun::ownOptimizer).toList());
        members.forEach(r -> r.rows = this);
    }

    @SuppressWarnings("unchecked")
    private static <T> T stack(List<T> parts) {
        return ((RowState<T>) parts.get(0)).stack(parts);
    }

    /**
     * Updates each run from its image gradient ({@link AscentRun#imageGradient}, same order): runs of one kind as
     * one block, the others one by one. A failure fails the runs of its block only.
     *
     * @return one outcome per run, in order
     */
    static List<BatchedAscent.Outcome> update(List<AscentRun> runs, List<INDArray> gradients) {
        BatchedAscent.Outcome[] outcomes = new BatchedAscent.Outcome[runs.size()];
        Map<Kind, List<Integer>> groups = new LinkedHashMap<>();
        for (int k = 0; k < runs.size(); k++) {
            AscentRun run = runs.get(k);
            INDArray gradient = gradients.get(k);
            Kind kind = run.kind();
            if (kind == null) {
                outcomes[k] = outcome(List.of(run), () -> List.of(run.updateAlone(gradient))).get(0);
            } else {
                groups.computeIfAbsent(kind, x -> new ArrayList<>()).add(k);
            }
        }
        for (List<Integer> group : groups.values()) {
            List<AscentRun> members = group.stream().map(runs::get).toList();
            List<BatchedAscent.Outcome> done = outcome(members, () -> of(members).step(members.get(0).kind().regularizers(),
                    group.stream().map(gradients::get).toList()));
            for (int i = 0; i < group.size(); i++) {
                outcomes[group.get(i)] = done.get(i);
            }
        }
        return Arrays.asList(outcomes);
    }

    /** {@code work}'s results as outcomes of {@code runs}, or its failure as the outcome of each. */
    private static List<BatchedAscent.Outcome> outcome(List<AscentRun> runs, java.util.function.Supplier<List<StepResult>> work) {
        Backend.fitThreadsTo(runs.get(0).volume());
        try {
            return work.get().stream().map(r -> new BatchedAscent.Outcome(r, null)).toList();
        } catch (RuntimeException e) {
            return runs.stream().map(r -> new BatchedAscent.Outcome(null, e)).toList();
        }
    }

    /** The block of exactly these runs, in this order: the one they are in, or a new one (their old blocks dissolved). */
    private static SharedRows of(List<AscentRun> runs) {
        SharedRows now = runs.get(0).rows;
        if (now != null && now.members.equals(runs)) {
            return now;
        }
        for (AscentRun r : runs) {
            if (r.rows != null) {
                r.rows.dissolve();
            }
        }
        return new SharedRows(runs);
    }

    /** Gives each member its rows back; the block is not used again. */
    void dissolve() {
        int first = 0;
        for (AscentRun r : members) {
            unstack(r.ownImage(), image, first);
            unstack(r.ownOptimizer(), optimizer, first);
            first += r.images();
            r.rows = null;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void unstack(T part, T stacked, int first) {
        ((RowState<T>) part).unstack(stacked, first);
    }

    /** One update of every member's rows from their gradients ([n, c, h, w] each, members' order), with their regularizers. */
    private List<StepResult> step(List<Regularizer> regularizers, List<INDArray> gradients) {
        INDArray gradient = gradients.size() == 1 ? gradients.get(0) : Nd4j.concat(0, gradients.toArray(INDArray[]::new));
        double[] stepSizes = new double[(int) gradient.size(0)];
        int row = 0;
        for (AscentRun r : members) {
            Arrays.fill(stepSizes, row, row + r.images(), r.stepSize());
            row += r.images();
        }
        optimizer.step(image.parameter(), image.backward(gradient), stepSizes);
        for (Regularizer reg : regularizers) {
            // Row-wise regularizers do the same at every step: the step they are told does not matter.
            reg.apply(image, gradient, members.get(0).stepsDone());
        }
        image.project();
        INDArray now = image.image();
        // In the step's workspace: the images go to the host from it (HostImages).
        HostImages display = HostImages.of(image.space().toDisplay(now));
        List<INDArray> own = rowsOf(now);
        List<StepResult> results = new ArrayList<>(members.size());
        int first = 0;
        for (int k = 0; k < members.size(); k++) {
            AscentRun r = members.get(k);
            results.add(r.finish(own.get(k), display.slice(first, first + r.images())));
            first += r.images();
        }
        return results;
    }

    /**
     * Each member's rows of {@code now}, the block's images: views made again only when the parameterization hands out
     * another array (each of the parameterizations keeps one), not a view a run and step.
     */
    private List<INDArray> rowsOf(INDArray now) {
        if (now != rowsOf) {
            memberRows.clear();
            int first = 0;
            for (AscentRun r : members) {
                int from = first;
                memberRows.add(Workspaces.persistent(() -> Network.rows(now, from, from + r.images())));
                first += r.images();
            }
            rowsOf = now;
        }
        return memberRows;
    }
}
