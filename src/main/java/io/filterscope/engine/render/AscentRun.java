package io.filterscope.engine.render;

import io.filterscope.UserError;
import io.filterscope.engine.Backend;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.BatchObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.StepTensors;
import io.filterscope.engine.optimizer.Optimizer;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.regularizer.Regularizer;
import io.filterscope.engine.transform.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The render loop: one image per objective, all in one minibatch, improved one step at a time. It owns
 * nothing but the loop; it is handed the network, the objectives and the {@link RunParts} a preset built.
 * Each step: parameterization -> image -> transforms -> network -> objectives -> gradients back the same
 * way -> optimizer -> regularizers. The parts may be replaced between steps ({@link #update}).
 * Deterministic for a given seed.
 */
public final class AscentRun {
    /** An objective whose value never exceeds this is reported as dead (the filter never fired). */
    public static final double DEAD_BELOW = 1e-6;

    private final Network net;
    private final long[] imageShape;
    private final Parameterization image;
    private final INDArray grey;
    private final Random transformRng;
    private final int steps;
    private volatile RunParts parts;
    private BatchObjective objective;
    private Optimizer optimizer;
    private INDArray imageGradient;
    private int step;
    /** Each image's highest objective value so far: a filter that never rose above zero is dead. */
    private final double[] peak;

    /**
     * @param net  compiled for a batch of {@code objectives.size()} images of {@code parts.inputShape} of the
     *             image: {@code size} px square, plus whatever the transforms add (a pad)
     * @param size the image's side in pixels
     * @throws UserError when an objective reads a layer the network cannot compute at this size
     */
    public AscentRun(Network net, List<Objective> objectives, RunParts parts, int size, int steps, long seed) {
        if (objectives.size() != net.batch()) {
            throw new IllegalArgumentException(objectives.size() + " objectives for a batch of " + net.batch());
        }
        long[] shape = {net.batch(), net.input().size(1), size, size};
        if (!Arrays.equals(parts.inputShape(shape), net.input().shape())) {
            throw new IllegalArgumentException("the network takes " + Arrays.toString(net.input().shape()) + ", the parts make "
                    + Arrays.toString(parts.inputShape(shape)));
        }
        this.net = net;
        this.imageShape = shape;
        this.objective = new BatchObjective(objectives, parts.penalty());
        for (String layer : objective.layers()) {
            if (net.layer(layer) == null) {
                throw new UserError(net.unavailable(layer));
            }
        }
        this.steps = steps;
        this.parts = parts;
        this.optimizer = parts.optimizer().create();
        this.peak = new double[objectives.size()];
        Arrays.fill(peak, Double.NEGATIVE_INFINITY);
        image = parts.parameterization().create(shape, net.dataType(), seed);
        InputSpace space = image.space();
        grey = InputSpace.vector(space.neutral((int) shape[1]), net.dataType());
        transformRng = new Random(seed + 1);
    }

    /**
     * Replaces the parts from the next step on. The parameterization and the network's input size are fixed
     * for the run; an optimizer of the same kind keeps its state.
     *
     * @throws UserError when the new parts change what is fixed
     */
    public void update(RunParts next) {
        if (!next.parameterization().equals(parts.parameterization())) {
            throw new UserError("parameterization and decorrelate cannot change while a run goes; start a new run");
        }
        if (!Arrays.equals(next.inputShape(imageShape), parts.inputShape(imageShape))) {
            throw new UserError("pad cannot change while a run goes (the network's input size would); start a new run");
        }
        if (next.optimizer().kind() != parts.optimizer().kind()) {
            optimizer = next.optimizer().create();
        }
        objective = objective.withShared(next.penalty());
        parts = next;
    }

    public RunParts parts() {
        return parts;
    }

    public int stepsDone() {
        return step;
    }

    public int steps() {
        return steps;
    }

    public boolean finished() {
        return step >= steps;
    }

    public List<Objective> objectives() {
        return objective.objectives();
    }

    /** Whether image {@code i}'s objective has stayed at zero in every step so far. */
    public boolean dead(int i) {
        return peak[i] <= DEAD_BELOW;
    }

    /** Runs one step and returns its values and the images after it. */
    public StepResult step() {
        Backend.fitThreadsTo(net.activationVolume());
        return Workspaces.step(this::stepInWorkspace);
    }

    private StepResult stepInWorkspace() {
        RunParts p = parts;
        BatchObjective o = objective;
        INDArray x = image.image();
        List<Transform.Sampled> applied = new ArrayList<>(p.transforms().size());
        INDArray seen = x;
        for (Transform t : p.transforms()) {
            Transform.Sampled s = t.sample(transformRng, seen.shape());
            applied.add(s);
            seen = s.forward(seen);
        }
        net.input().assign(seen);
        net.forward(o.layers());
        if (o.readsImage()) {
            if (imageGradient == null) {
                imageGradient = Workspaces.persistent(x::like);
            }
            imageGradient.assign(0);
        }
        double[] values = o.evaluate(new StepTensors(net, x, imageGradient, grey));
        // The network's gradient buffer is only rewritten by the next step, so it can be used in place.
        INDArray gradient = net.backward(o.layers(), p.leak().at(step));
        for (int i = applied.size() - 1; i >= 0; i--) {
            gradient = applied.get(i).backward(gradient);
        }
        if (o.readsImage()) {
            gradient.addi(imageGradient);
        }
        checkFinite(values, gradient);
        for (int i = 0; i < peak.length; i++) {
            peak[i] = Math.max(peak[i], values[i]);
        }
        optimizer.step(image.parameter(), image.backward(gradient), p.optimizer().stepSize(step) * image.stepScale());
        for (Regularizer r : p.regularizers()) {
            r.apply(image, gradient, step);
        }
        image.project();
        step++;
        return new StepResult(step, values, Workspaces.persistent(this::displayImages));
    }

    private void checkFinite(double[] values, INDArray gradient) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new RunFailedException("the objective became " + v + " at step " + step);
            }
        }
        // One reduction catches both: a sum with a NaN or an infinity in it is not finite.
        if (!Double.isFinite(gradient.sumNumber().doubleValue())) {
            throw new RunFailedException("the gradient became NaN or infinite at step " + step);
        }
    }

    /** The current images in model input units, [n, c, h, w] (a view: copy it to keep it). */
    public INDArray inputImages() {
        return image.image();
    }

    /** The current images for display, [n, c, h, w] in [0, 1], RGB or grey (a new array). */
    public INDArray displayImages() {
        // Every parameterization keeps the image inside the input range, so this lands in [0, 1].
        return image.space().toDisplay(image.image());
    }
}
