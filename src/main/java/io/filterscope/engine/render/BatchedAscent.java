package io.filterscope.engine.render;

import io.filterscope.engine.Backend;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.BatchObjective;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One step of several runs that share a network: each run draws and applies its own transforms to its own
 * images, which fill its rows of the network's batch; one forward and one backward pass serve them all; then
 * each run evaluates its objectives on its rows only and carries its rows' gradient back through its transforms;
 * runs whose parts agree then move their images as rows of one block ({@link SharedRows}), each with its own step
 * size and optimizer state, the others with their own optimizer and regularizers. So every run keeps its own
 * parameterization, seed, optimizer state, settings and step count, and its images are those it gets alone: the
 * lever a plain one-run loop does not have (many people rendering the same model at the same size at once).
 * <p>
 * Each run's own ops run on the threads a batch of its own would (see {@link Backend#fitThreadsTo}), the
 * network's on those its whole batch calls for. Rows no run claims this step (a paced run that is not due)
 * are computed but left alone: their objective gradients are zero, so nothing flows back into them.
 */
public final class BatchedAscent {
    private BatchedAscent() {
    }

    /** A run and the first of its rows in the network's batch (it takes {@link AscentRun#images()} rows). */
    public record Placed(AscentRun run, int first) {
    }

    /** What one run's step gave: its result, or the error that ended it (exactly one is set). */
    public record Outcome(StepResult result, RuntimeException failure) {
    }

    /**
     * Steps every placed run once on {@code net}; a run that fails (its numbers blew up) does not stop the
     * others.
     *
     * @param net    compiled for a batch with rows for every placed run, at the runs' network input size
     * @param placed runs in rows that do not overlap
     * @return one outcome per placed run, in order
     * @throws IllegalArgumentException when rows overlap or fall outside the batch
     */
    public static List<Outcome> step(Network net, List<Placed> placed) {
        boolean[] taken = new boolean[(int) net.batch()];
        Set<String> layers = new LinkedHashSet<>();
        for (Placed p : placed) {
            for (int i = p.first(); i < p.first() + p.run().images(); i++) {
                if (i < 0 || i >= taken.length || taken[i]) {
                    throw new IllegalArgumentException("rows of runs overlap or fall outside a batch of " + taken.length);
                }
                taken[i] = true;
            }
            layers.addAll(p.run().layers());
        }
        return Workspaces.step(() -> stepInWorkspace(net, placed, layers));
    }

    private static List<Outcome> stepInWorkspace(Network net, List<Placed> placed, Set<String> layers) {
        Outcome[] outcomes = new Outcome[placed.size()];
        eachRun(placed, outcomes, (p, k) -> p.run().begin(rows(net, net.input(), p)));
        Backend.fitThreadsTo(net.activationVolume());
        net.forward(layers);
        // Rows of runs not stepping, and of layers some runs do not read, must carry no gradient back.
        net.clearGradients(layers);
        double[][] values = new double[placed.size()][];
        double[] leak = new double[(int) net.batch()];
        if (!evaluateTogether(net, placed, values)) {
            eachRun(placed, outcomes, (p, k) -> values[k] = p.run().evaluate(net, p.first()));
        }
        placed.forEach(p -> Arrays.fill(leak, p.first(), p.first() + p.run().images(), p.run().leak()));
        for (int k = 0; k < placed.size(); k++) {
            if (outcomes[k] != null) {
                // It failed half-way: whatever gradient it placed goes nowhere.
                net.clearGradients(layers, placed.get(k).first(), placed.get(k).first() + placed.get(k).run().images());
            }
        }
        Backend.fitThreadsTo(net.activationVolume());
        INDArray gradient = net.backward(layers, leak);
        INDArray[] imageGradients = new INDArray[placed.size()];
        eachRun(placed, outcomes, (p, k) -> imageGradients[k] = p.run().imageGradient(values[k], rows(net, gradient, p)));
        List<Integer> going = new ArrayList<>();
        for (int k = 0; k < placed.size(); k++) {
            if (outcomes[k] == null) {
                going.add(k);
            }
        }
        List<Outcome> updated = SharedRows.update(going.stream().map(k -> placed.get(k).run()).toList(),
                going.stream().map(k -> imageGradients[k]).toList());
        for (int i = 0; i < going.size(); i++) {
            outcomes[going.get(i)] = updated.get(i);
        }
        return new ArrayList<>(Arrays.asList(outcomes));
    }

    /**
     * Evaluates every run's objectives with one mask over the batch when each run's is one mask on the same layer (a
     * class rendering filters of one layer; {@link BatchObjective#evaluateTogether}), filling {@code values}.
     *
     * @return false, doing nothing, when they are not all so
     */
    private static boolean evaluateTogether(Network net, List<Placed> placed, double[][] values) {
        List<BatchObjective> objectives = placed.stream().map(p -> p.run().stepObjective()).toList();
        String layer = objectives.isEmpty() ? null : objectives.get(0).maskedLayer(net);
        if (layer == null || objectives.stream().anyMatch(o -> !layer.equals(o.maskedLayer(net)))) {
            return false;
        }
        double[][] all = BatchObjective.evaluateTogether(net, objectives, placed.stream().mapToInt(Placed::first).toArray());
        System.arraycopy(all, 0, values, 0, all.length);
        return true;
    }

    /** One part of a step, for the run placed {@code k}-th. */
    @FunctionalInterface
    private interface Part {
        void apply(Placed p, int k);
    }

    /** Does {@code part} for every run that has not failed, on its own threads; a run whose part throws fails alone. */
    private static void eachRun(List<Placed> placed, Outcome[] outcomes, Part part) {
        for (int k = 0; k < placed.size(); k++) {
            if (outcomes[k] != null) {
                continue;
            }
            Backend.fitThreadsTo(placed.get(k).run().volume());
            try {
                part.apply(placed.get(k), k);
            } catch (RuntimeException e) {
                outcomes[k] = new Outcome(null, e);
            }
        }
    }

    /** The run's rows of one of the network's batch arrays (its input, its input's gradient), kept from step to step. */
    private static INDArray rows(Network net, INDArray batch, Placed p) {
        return net.keptRows(batch, p.first(), p.first() + p.run().images());
    }
}
