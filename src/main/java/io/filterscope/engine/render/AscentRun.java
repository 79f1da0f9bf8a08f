package io.filterscope.engine.render;

import io.filterscope.UserError;
import io.filterscope.engine.Backend;
import io.filterscope.engine.HostArrays;
import io.filterscope.engine.RowState;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.BatchObjective;
import io.filterscope.engine.objective.NeuronObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.StepTensors;
import io.filterscope.engine.optimizer.Optimizer;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.param.Parameterization;
import io.filterscope.engine.param.ParameterizationSpec;
import io.filterscope.engine.param.Start;
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
 * Deterministic for a given seed. {@link #step} runs a step on the run's own network; {@link BatchedAscent}
 * runs the same step's three parts ({@link #begin}, {@link #evaluate}, {@link #end}) for several runs around one
 * shared forward and backward pass, with the same results. The last part, from the image's gradient on, is the
 * same for runs whose parts agree ({@link SharedRows}): they hold their parameters and optimizer state as rows of
 * one block while they step together, and alone a run is a block of one.
 */
public final class AscentRun {
    /**
     * An objective whose value does not exceed this is silent: a filter silent on every example picture and in its run's
     * last step is reported dead ({@link #dead}).
     */
    public static final double DEAD_BELOW = 1e-6;
    /** With {@code init} {@code examples}, an image starts from the mean of this many top example pictures. */
    public static final int START_EXAMPLES = 8;

    private final Network net;
    private final long[] imageShape;
    private final Parameterization image;
    /** The block that holds this run's parameter and optimizer state while it steps with others, or null when it holds them. */
    SharedRows rows;
    private final INDArray grey;
    private final Random transformRng;
    /** The activation values of a network of this run's own batch: what sets the threads its ops run on. */
    private final long volume;
    private final int steps;
    private volatile RunParts parts;
    private BatchObjective objective;
    private Optimizer optimizer;
    private INDArray imageGradient;
    private int step;
    /** The step in progress, between {@link #begin} and {@link #end}: its parts, objectives and transforms. */
    private RunParts stepParts;
    private BatchObjective stepObjective;
    private List<Transform.Sampled> applied;
    private INDArray stepImage;
    /** The objective values of the step in progress, and after the run of its last step ({@link #dead} reads them). */
    private double[] stepValues;
    /**
     * The image after the last step, as it was computed for its frame: the next step starts from it, since nothing
     * changes the parameter in between (computing it again repeated the parameterization's work, a tenth of a
     * 28 px data-prior step). Null before the first step.
     */
    private INDArray current;

    /**
     * @param net  compiled for {@code parts.inputShape} of the image: {@code size} px square, plus whatever the
     *             transforms add (a pad); {@link #step} needs it compiled for a batch of {@code objectives.size()}
     *             images, {@link BatchedAscent} for a batch with room for this run's images among others'
     * @param size the image's side in pixels
     * @throws UserError when an objective reads a layer the network cannot compute at this size
     */
    public AscentRun(Network net, List<Objective> objectives, RunParts parts, int size, int steps, long seed) {
        this(net, objectives, parts, size, steps, seed, imageSeeds(objectives, seed));
    }

    /**
     * A run of a part of a longer list of objectives, whose images start as they would in a run of the whole list.
     *
     * @param imageSeeds the seeds of this run's images' start noise, one per objective: the part's of
     *                   {@link #imageSeeds} of the whole list
     */
    public AscentRun(Network net, List<Objective> objectives, RunParts parts, int size, int steps, long seed, long[] imageSeeds) {
        if (imageSeeds.length != objectives.size()) {
            throw new IllegalArgumentException(imageSeeds.length + " seeds for " + objectives.size() + " objectives");
        }
        long[] shape = {objectives.size(), net.input().size(1), size, size};
        long[] input = parts.inputShape(shape);
        if (!Arrays.equals(Arrays.copyOfRange(input, 1, 4), Arrays.copyOfRange(net.input().shape(), 1, 4))) {
            throw new IllegalArgumentException("the network takes " + Arrays.toString(net.input().shape()) + ", the parts make "
                    + Arrays.toString(input));
        }
        this.net = net;
        this.imageShape = shape;
        this.objective = new BatchObjective(objectives, parts.penalty());
        for (String layer : objective.layers()) {
            if (net.layer(layer) == null) {
                throw new UserError(net.unavailable(layer));
            }
        }
        NeuronObjective.checkAll(objectives, layer -> new long[] {net.layer(layer).height(), net.layer(layer).width()},
                input[2] + " px");
        this.volume = net.activationVolume(objectives.size(), input[2], input[3]);
        this.steps = steps;
        this.parts = parts;
        grey = InputSpace.vector(parts.parameterization().space().neutral((int) shape[1]), net.dataType());
        image = bestStart(objectives, parts, size, seed, imageSeeds);
        optimizer = parts.optimizer().create(image.parameter());
        transformRng = new Random(seed + 1);
    }

    /**
     * The seed of each image's start noise in a run of {@code objectives}: {@code seed} itself, and for the k-th repeat
     * of an objective earlier in the list a seed of its own, so N copies of one filter can become N different pictures.
     */
    public static long[] imageSeeds(List<Objective> objectives, long seed) {
        long[] seeds = new long[objectives.size()];
        for (int i = 0; i < seeds.length; i++) {
            int copy = java.util.Collections.frequency(objectives.subList(0, i), objectives.get(i));
            seeds[i] = copy == 0 ? seed : seed ^ (0x9E3779B97F4A7C15L * copy);
        }
        return seeds;
    }

    /**
     * Each image's start: the seed's noise (a repeated objective gets noise of its own, so N copies of one filter can
     * become N different pictures), with {@code init} examples around the one of its {@link #startPictures} on which
     * its objective is highest, as the parameterization draws it and the first step's transforms show it (Nguyen et
     * al.'s mean-image initialization, with more than one candidate). From the mean of the top example pictures alone,
     * 7 of emoji-cnn's 48 conv2 tiles and 8 of its 96 conv4 tiles scored below their best example picture, from the
     * better of the two 4 and 6 (docs/quality.md). A flat colour is no candidate: it is no picture like the data, and
     * flat starts stayed flat (docs/quality.md). Costs a forward pass for the candidates (one per candidate where the
     * network has rows for only one): a step is a forward and a backward pass, and a gallery takes 64.
     */
    private Parameterization bestStart(List<Objective> objectives, RunParts parts, int size, long seed, long[] seeds) {
        ParameterizationSpec spec = parts.parameterization();
        List<float[][]> candidates = startPictures(objectives, parts, size);
        if (candidates.size() < 2) {
            return spec.create(imageShape, net.dataType(), new Start(seeds, candidates.isEmpty() ? null : candidates.get(0)));
        }
        double[] best = new double[seeds.length];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        float[][] chosen = new float[seeds.length][];
        List<Parameterization> made = candidates.stream().map(p -> spec.create(imageShape, net.dataType(), new Start(seeds, p))).toList();
        double[][] scored = startValues(made, parts, seed);
        for (int c = 0; c < candidates.size(); c++) {
            float[][] pictures = candidates.get(c);
            double[] values = scored[c];
            for (int i = 0; i < seeds.length; i++) {
                if (pictures[i] != null && values[i] > best[i]) {
                    best[i] = values[i];
                    chosen[i] = pictures[i];
                }
            }
        }
        return spec.create(imageShape, net.dataType(), new Start(seeds, chosen));
    }

    /**
     * The start pictures each image may begin from ({@code init} examples): the mean of its objective's
     * {@link #START_EXAMPLES} top example pictures and its top picture; per candidate, per image a display picture or
     * null (the examples cannot say for that objective). None without {@code init} examples or when the examples cannot
     * say at this size.
     */
    private static List<float[][]> startPictures(List<Objective> objectives, RunParts parts, int size) {
        float[][] top = startsFromExamples(parts) ? parts.examples().topMeans(objectives, size, START_EXAMPLES) : null;
        return top == null ? List.of() : List.of(top, parts.examples().topMeans(objectives, size, 1));
    }

    /**
     * Each image's objective on each candidate start, as the first step would see it (its transforms, drawn alike):
     * the candidates side by side in the network's rows, as many as it has room for in one forward pass (a run joining a
     * batch of 30 scored its two on the batch's whole network one after the other, 0.5 s of CPU for 30 runs of
     * fashion-cnn; docs/performance.md). Rows do not change each other's values (runs share batches so).
     */
    private double[][] startValues(List<Parameterization> candidates, RunParts parts, long seed) {
        Backend.fitThreadsTo(volume);
        int n = images();
        int room = (int) Math.max(1, net.batch() / n);
        double[][] values = new double[candidates.size()][];
        for (int from = 0; from < candidates.size(); from += room) {
            List<Parameterization> pass = candidates.subList(from, Math.min(candidates.size(), from + room));
            double[][] passed = Workspaces.step(() -> {
                INDArray[] images = new INDArray[pass.size()];
                for (int c = 0; c < pass.size(); c++) {
                    images[c] = pass.get(c).image();
                    INDArray seen = images[c];
                    Random rng = new Random(seed + 1);
                    for (Transform t : parts.transforms()) {
                        seen = t.sample(rng, seen.shape()).forward(seen);
                    }
                    (net.batch() == n ? net.input() : Network.rows(net.input(), c * n, (c + 1) * n)).assign(seen);
                }
                net.forward(objective.layers());
                stepObjective = objective;
                double[][] each = new double[pass.size()][];
                for (int c = 0; c < pass.size(); c++) {
                    stepImage = images[c];
                    each[c] = evaluate(net, c * n);
                }
                stepImage = null;
                return each;
            });
            System.arraycopy(passed, 0, values, from, passed.length);
        }
        return values;
    }

    /** Whether a run of these parts starts from the mean of its objectives' top example pictures ({@code init} examples). */
    public static boolean startsFromExamples(RunParts parts) {
        return parts.parameterization().init() == ParameterizationSpec.Init.EXAMPLES && parts.examples() != null;
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
        ownState();
        if (next.optimizer().kind() != parts.optimizer().kind()) {
            optimizer = next.optimizer().create(image.parameter());
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

    /**
     * Whether image {@code i}'s filter is dead: the run took all its steps, its objective is silent (at most
     * {@link #DEAD_BELOW}) in the last one, and the model's example pictures say the filter is silent on every one of
     * them too, so nothing it was shown nor the picture drawn for it makes it fire. Where they cannot say (a model
     * without example pictures, an objective that is no filter's activation, such as a class's logit, which is
     * negative on most pictures) nothing is judged dead. It is the last step
     * that counts, not the best: a picture that once made the filter fire but no longer does is not its answer. A
     * filter whose mean is negative on every picture but that fires in a spot is not dead (emoji-cnn's conv4 filter
     * 16: its best example picture's mean is -0.11, but its largest pre-ReLU value is positive on all 1,080, up to
     * 8.1). A filter that is merely slow to wake but ends awake, one that fires even weakly on some example, a run
     * stopped early (or of no steps), or an objective that reads no layer (a penalty on the image alone, such as a sum
     * of {@code tv} terms, is never above zero) is not dead.
     */
    public boolean dead(int i) {
        if (!finished() || step == 0 || stepValues[i] > DEAD_BELOW || objective.objectives().get(i).layers().isEmpty()) {
            return false;
        }
        return parts.examples() != null && Boolean.FALSE.equals(parts.examples().fires(objective.objectives().get(i)));
    }

    /** Runs one step and returns its values and the images after it. */
    public StepResult step() {
        if (net.batch() != images()) {
            throw new IllegalStateException("a run of " + images() + " images stepping alone on a network for " + net.batch());
        }
        Backend.fitThreadsTo(volume);
        return Workspaces.step(() -> {
            begin(net.input());
            net.forward(stepObjective.layers());
            double[] values = evaluate(net, 0);
            return end(values, net.backward(stepObjective.layers(), leak()));
        });
    }

    /** How many images it renders: the rows it takes in a network's batch. */
    public int images() {
        return (int) imageShape[0];
    }

    /** Every layer its objectives read (the network's forward and backward pass go to these). */
    public java.util.Set<String> layers() {
        return objective.layers();
    }

    /** Activation values of a network of its own batch: the threads of its own ops are set by it ({@link Backend#fitThreadsTo}). */
    long volume() {
        return volume;
    }

    /**
     * The first part of a step: this step's transforms drawn and applied, what the network is to see written into
     * {@code into} ([n, c, h, w] of the network's input: its own input or its rows of a batch's), the last transform
     * writing there itself.
     */
    void begin(INDArray into) {
        stepParts = parts;
        stepObjective = objective;
        stepImage = current != null ? current : image.image();
        INDArray seen = stepImage;
        List<Transform> transforms = stepParts.transforms();
        applied = new ArrayList<>(transforms.size());
        for (int i = 0; i < transforms.size(); i++) {
            Transform.Sampled s = transforms.get(i).sample(transformRng, seen.shape());
            applied.add(s);
            if (i == transforms.size() - 1) {
                s.forward(seen, into);
                return;
            }
            seen = s.forward(seen);
        }
        into.assign(seen);
    }

    /**
     * After the forward pass of {@code net}, whose images {@code [first, first + n)} are this run's: each image's
     * objective value, with their gradients placed in those rows of the network's layers.
     */
    double[] evaluate(Network net, int first) {
        INDArray x = stepImage;
        if (stepObjective.readsImage()) {
            if (imageGradient == null) {
                imageGradient = Workspaces.persistent(x::like);
            }
            imageGradient.assign(0);
        }
        return stepObjective.evaluate(first == 0 && net.batch() == images() ? new StepTensors(net, x, imageGradient, grey)
                : StepTensors.rows(net, first, x, imageGradient, grey));
    }

    /** This step's objectives (between {@link #begin} and {@link #end}). */
    BatchObjective stepObjective() {
        return stepObjective;
    }

    /** The slope the backward pass gives this step's inactive ReLUs (its leaky start). */
    double leak() {
        return stepParts.leak().at(step);
    }

    /**
     * The last part of a step: {@code gradient}, d(objectives)/d(network input) of this run's images, is carried back
     * through the transforms to the image ({@link #imageGradient}), which the optimizer and regularizers then change
     * ({@link SharedRows#update}).
     *
     * @throws RunFailedException when a value or the gradient is not finite
     */
    StepResult end(double[] values, INDArray gradient) {
        BatchedAscent.Outcome outcome = SharedRows.update(List.of(this), List.of(imageGradient(values, gradient))).get(0);
        if (outcome.failure() != null) {
            throw outcome.failure();
        }
        return outcome.result();
    }

    /**
     * This step's d(objectives)/d(image), [n, c, h, w]: {@code gradient}, d(objectives)/d(network input) of this run's
     * images, carried back through the transforms, plus the objectives' own image terms. Records the step's values.
     *
     * @throws RunFailedException when a value or the gradient is not finite
     */
    INDArray imageGradient(double[] values, INDArray gradient) {
        for (int i = applied.size() - 1; i >= 0; i--) {
            gradient = applied.get(i).backward(gradient);
        }
        if (stepObjective.readsImage()) {
            gradient.addi(imageGradient);
        }
        checkFinite(values, gradient);
        this.stepValues = values;
        return gradient;
    }

    /**
     * What this step's parts must share with another run's for the two to update as rows of one block, or null when
     * they cannot share (a parameterization or regularizer that treats rows otherwise than one by one, or that
     * depends on the step).
     */
    SharedRows.Kind kind() {
        boolean rowWise = image instanceof RowState && stepParts.regularizers().stream().allMatch(Regularizer::rowWise);
        return rowWise ? new SharedRows.Kind(image.getClass(), stepParts.parameterization(), Arrays.copyOfRange(imageShape, 1, 4),
                stepParts.optimizer().kind(), stepParts.regularizers()) : null;
    }

    /** This step's step size per image, in parameter units. */
    double stepSize() {
        return stepParts.optimizer().stepSize(step) * image.stepScale();
    }

    /** Its parameterization and optimizer, which hold its state unless it is in {@link #rows}. */
    Parameterization ownImage() {
        return image;
    }

    Optimizer ownOptimizer() {
        return optimizer;
    }

    /**
     * Its own update, for parts that cannot share rows: the optimizer and regularizers change its image from this
     * step's {@code gradient} ({@link #imageGradient}).
     */
    StepResult updateAlone(INDArray gradient) {
        ownState();
        optimizer.step(image.parameter(), image.backward(gradient), rowsOf(stepSize()));
        for (Regularizer r : stepParts.regularizers()) {
            r.apply(image, gradient, step);
        }
        image.project();
        INDArray now = Workspaces.persistent(image::image);
        return finish(now, HostImages.of(image.space().toDisplay(now)));
    }

    /** The step size for each of its rows. */
    private double[] rowsOf(double stepSize) {
        double[] sizes = new double[images()];
        Arrays.fill(sizes, stepSize);
        return sizes;
    }

    /** Ends the step: its images are now {@code now} in input units ([n, c, h, w], kept) and {@code display} for display. */
    StepResult finish(INDArray now, HostImages display) {
        step++;
        current = now;
        return new StepResult(step, stepValues, display);
    }

    /** Takes its state back from the block that holds it, if one does. */
    private void ownState() {
        if (rows != null) {
            rows.dissolve();
        }
    }

    /** Steps count from 1, as the frames do: the step in progress is {@code step + 1}. */
    private void checkFinite(double[] values, INDArray gradient) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new RunFailedException("the objective became " + v + " at step " + (step + 1));
            }
        }
        if (!HostArrays.allFinite(gradient)) {
            throw new RunFailedException("the gradient became NaN or infinite at step " + (step + 1));
        }
    }

    /** The current images in model input units, [n, c, h, w] (a view: copy it to keep it). */
    public INDArray inputImages() {
        ownState();
        return image.image();
    }

    /** The current images for display, in [0, 1], RGB or grey. */
    public HostImages displayImages() {
        // Every parameterization keeps the image inside the input range, so this lands in [0, 1].
        ownState();
        return HostImages.of(image.space().toDisplay(image.image()));
    }
}
