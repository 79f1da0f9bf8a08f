package io.filterscope.engine.render;

import io.filterscope.UserError;
import io.filterscope.engine.Backend;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.BatchObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.optimizer.Optimizer;
import io.filterscope.engine.param.FourierImage;
import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.param.PixelImage;
import io.filterscope.engine.regularizer.GaussianBlur;
import io.filterscope.engine.regularizer.L2Decay;
import io.filterscope.engine.regularizer.PercentileClip;
import io.filterscope.engine.regularizer.Regularizer;
import io.filterscope.engine.regularizer.TotalVariation;
import io.filterscope.engine.transform.RandomAffine;
import io.filterscope.model.InputSpace;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The render loop: one image per objective, all in one minibatch, improved one step at a time.
 * Each step: parameterization -> image -> random transform -> network -> objectives -> gradients back
 * the same way -> optimizer -> regularizers. Params may be replaced between steps ({@link #update}).
 * Deterministic for a given seed.
 */
public final class AscentRun {
    /** Applied in this order after every update, as in Yosinski et al. */
    private static final List<Regularizer> REGULARIZERS = List.of(new L2Decay(), new GaussianBlur(),
            PercentileClip.byNorm(), PercentileClip.byContribution());

    private final Network net;
    private final BatchObjective objectives;
    private final InputSpace space;
    private final Parameterization image;
    private final Random transformRng;
    private final int steps;
    private volatile RenderParams params;
    private Optimizer optimizer;
    private String optimizerName;
    private int step;
    /** Each image's highest objective value so far: a filter that never rose above zero is dead. */
    private final double[] peak;

    /** An objective whose value never exceeds this is reported as dead (the filter never fired). */
    public static final double DEAD_BELOW = 1e-6;

    public AscentRun(Network net, List<Objective> objectives, InputSpace space, int steps, long seed,
                     RenderParams params) {
        if (objectives.size() != net.batch()) {
            throw new IllegalArgumentException(objectives.size() + " objectives for a batch of " + net.batch());
        }
        this.net = net;
        this.objectives = new BatchObjective(objectives);
        for (String layer : this.objectives.layers()) {
            if (net.layer(layer) == null) {
                throw new UserError(net.unavailable(layer));
            }
        }
        this.space = space;
        this.steps = steps;
        this.params = params;
        this.peak = new double[objectives.size()];
        java.util.Arrays.fill(peak, Double.NEGATIVE_INFINITY);
        long[] shape = net.input().shape();
        image = params.parameterization().equals("fft")
                ? new FourierImage(shape, net.dataType(), space, params.decorrelate(), seed)
                : new PixelImage(shape, net.dataType(), space, seed);
        transformRng = new Random(seed + 1);
    }

    /** Replaces the params from the next step on. The parameterization is fixed for the run. */
    public void update(RenderParams next) {
        if (!next.parameterization().equals(params.parameterization()) || next.decorrelate() != params.decorrelate()) {
            throw new UserError("parameterization and decorrelate cannot change while a run goes; start a new run");
        }
        params = next;
    }

    public RenderParams params() {
        return params;
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
        return objectives.objectives();
    }

    /** Whether image {@code i}'s objective has stayed at zero in every step so far. */
    public boolean dead(int i) {
        return peak[i] <= DEAD_BELOW;
    }

    /**
     * A step's temporaries live in a workspace that is reused every step, so a step allocates nothing new
     * (freed arrays would otherwise wait for the JVM to collect their small Java wrappers). Arrays that
     * outlive a step are made outside it: see {@link #persistent}.
     */
    private static final WorkspaceConfiguration STEP_WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0).overallocationLimit(0.2).policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.OVER_TIME).policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE).build();

    /** The name of the step's workspace on the thread that steps (it grows to the largest step's temporaries). */
    public static final String STEP_WORKSPACE_ID = "filterscope-step";

    /** Runs {@code make} outside the step's workspace, for arrays that must survive the step. */
    public static <T> T persistent(java.util.function.Supplier<T> make) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return make.get();
        }
    }

    /** Runs one step and returns its values and the images after it. */
    public StepResult step() {
        Backend.fitThreadsTo(net.activationVolume());
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP_WORKSPACE, STEP_WORKSPACE_ID)) {
            return stepInWorkspace();
        }
    }

    private StepResult stepInWorkspace() {
        RenderParams p = params;
        if (optimizer == null || !p.optimizer().equals(optimizerName)) {
            optimizer = Optimizer.named(p.optimizer());
            optimizerName = p.optimizer();
        }
        INDArray x = image.image();
        RandomAffine warp = RandomAffine.active(p) ? RandomAffine.sample(p, transformRng, x.size(2), x.size(3)) : null;
        net.input().assign(warp == null ? x : warp.forward(x));
        net.forward(objectives.layers());
        double[] values = objectives.evaluate(net);
        double leak = step < p.leakySteps() ? p.leakyRelu() : 0;
        INDArray gradient = net.backward(objectives.layers(), leak);
        // The network's gradient buffer is only rewritten by the next step, so it can be used in place.
        gradient = warp == null ? gradient : warp.backward(gradient);
        if (p.tv() > 0) {
            TotalVariation.addGradient(x, gradient, p.tv());
        }
        checkFinite(values, gradient);
        for (int i = 0; i < peak.length; i++) {
            peak[i] = Math.max(peak[i], values[i]);
        }
        optimizer.step(image.parameter(), image.backward(gradient), p, step, image.stepScale());
        for (Regularizer r : REGULARIZERS) {
            r.apply(image, gradient, p, step);
        }
        image.project();
        step++;
        return new StepResult(step, values, persistent(this::displayImages));
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
        return space.toDisplay(image.image());
    }
}
