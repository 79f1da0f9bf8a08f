package io.filterscope.engine.preset;

import static io.filterscope.engine.preset.Param.Group.BACKWARD;
import static io.filterscope.engine.preset.Param.Group.OPTIMIZER;
import static io.filterscope.engine.preset.Param.Group.PARAMETERIZATION;
import static io.filterscope.engine.preset.Param.Group.PENALTIES;
import static io.filterscope.engine.preset.Param.Group.REGULARIZERS;
import static io.filterscope.engine.preset.Param.Group.RUN;
import static io.filterscope.engine.preset.Param.Group.TRANSFORMS;

import io.filterscope.UserError;
import io.filterscope.engine.optimizer.OptimizerSettings;
import io.filterscope.engine.param.ParameterizationSpec;
import java.util.Comparator;
import java.util.List;

/**
 * The settings schema: every render setting, declared once. Lengths and step sizes are in units of the
 * model's input range, so the same settings suit a [0, 1] and a [0, 255] model. {@code GET /api/params}
 * serves this list, the page builds its controls from it, the command line checks {@code --params} with it,
 * and docs/engine.md shows it (a test keeps them equal).
 */
public final class Params {
    /**
     * The run's own fields (the protocol's {@code start} fields, the command line's flags), not a preset's. Only
     * {@link #PACE} may change mid-run (an {@code update} carries it); the others are fixed for a run.
     */
    public static final Param<Integer> SIZE = Param.integer("size", RUN, null, 8, 512, "px",
            "side of the square image; default the model's own input size").fixed();
    public static final Param<Integer> STEPS = Param.integer("steps", RUN, 200, 1, 100_000, "steps",
            "how many ascent steps the run takes").fixed();
    public static final Param<Integer> SEED = Param.integer("seed", RUN, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, "",
            "seeds the start noise and the transforms: a run is the same every time for the same seed").fixed();
    /** A gallery's steps unless asked otherwise: enough for small models, and every filter of a layer at once. */
    public static final int GALLERY_STEPS = 64;
    /** The server paces a run rather than the page, so what a class sees is the run as it is, and a change shows at once. */
    public static final Param<Integer> PACE = Param.integer("pace", RUN, 0, 0, 1000, "steps/s",
            "steps computed per second, so people can watch the image form; 0 computes at full speed; can change mid-run")
            .slider(0, 120, 1);
    public static final List<Param<?>> RUN_FIELDS = List.of(SIZE, STEPS, SEED, PACE);

    public static final Param<OptimizerSettings.Kind> OPTIMIZER_KIND = Param.choice("optimizer", OPTIMIZER,
            OptimizerSettings.Kind.ASCENT, "ascent: the gradient divided by its root-mean-square per image (the Keras blog's); "
                    + "adam: Adam, Lucid's default");
    public static final Param<Double> LR = Param.number("lr", OPTIMIZER, 0.01, 1e-6, 10, "input range",
            "step size: how far the average pixel moves per step (for fft five times that, in spectrum units)")
            .slider(0.001, 0.2, 0.001);
    public static final Param<Double> LR_DECAY = Param.number("lrDecay", OPTIMIZER, 0, 0, 100, "1/step",
            "the step size at step t is lr / (1 + lrDecay * t)").slider(0, 0.1, 0.001);

    public static final Param<ParameterizationSpec.Kind> PARAMETERIZATION_KIND = Param.choice("parameterization",
            PARAMETERIZATION, ParameterizationSpec.Kind.PIXEL,
            "pixel: the image is the parameter, clipped to the valid range; fft: Lucid's Fourier coefficients scaled by "
                    + "1/frequency, through a sigmoid (smoother, never clipped); prior: a code of the model's learned image "
                    + "prior, through a sigmoid (pictures like its training data, as far from their mean picture as they are, so "
                    + "l2Decay does nothing; fft for a model without one)").fixed();
    public static final Param<Boolean> DECORRELATE = Param.bool("decorrelate", PARAMETERIZATION, true,
            "with fft and three channels, optimize colours in a decorrelated space").fixed();
    public static final Param<ParameterizationSpec.Init> INIT = Param.choice("init", PARAMETERIZATION,
            ParameterizationSpec.Init.NOISE, "noise: start from grey plus a little noise (for prior, a random picture like the data); "
                    + "examples: from whichever excites the objective most of the mean of the 8 example pictures that excite "
                    + "it most and the one that excites it most (a model with an example set, at its own size)").fixed();

    public static final Param<Integer> PAD = Param.integer("pad", TRANSFORMS, 0, 0, 64, "px",
            "a mid-grey border around the image before the other transforms (the network sees a larger image)")
            .slider(0, 16, 1).fixed();
    public static final Param<Double> JITTER = Param.number("jitter", TRANSFORMS, 0, 0, 64, "px",
            "random shift of up to this many pixels each step").slider(0, 8, 1);
    public static final Param<List<Double>> SCALE = Param.numbers("scale", TRANSFORMS, 0.25, 4, "factor",
            "scale factors, one picked at random each step (empty: off)");
    public static final Param<Double> ROTATE = Param.number("rotate", TRANSFORMS, 0, 0, 180, "degrees",
            "random rotation of up to this many degrees either way").slider(0, 45, 1);

    public static final Param<Double> L2_DECAY = Param.number("l2Decay", REGULARIZERS, 1, 0.5, 1, "factor per step",
            "the image's distance from grey is multiplied by this each step (1: off)").slider(0.9, 1, 0.001);
    public static final Param<Double> BLUR_SIGMA = Param.number("blurSigma", REGULARIZERS, 0, 0, 10, "px",
            "Gaussian blur of the image every few steps (0: off)").slider(0, 3, 0.05);
    public static final Param<Integer> BLUR_EVERY = Param.integer("blurEvery", REGULARIZERS, 4, 1, 1000, "steps",
            "blur after every this many steps").slider(1, 20, 1);
    public static final Param<Double> BLUR_DECAY = Param.number("blurDecay", REGULARIZERS, 1, 0.5, 1, "factor per blur",
            "the blur's sigma is multiplied by this after each blur").slider(0.5, 1, 0.01);
    public static final Param<Double> CLIP_NORM = Param.number("clipNormPercentile", REGULARIZERS, 0, 0, 100, "%",
            "pixels whose distance from grey is below this percentile are reset to grey (0: off)").slider(0, 90, 1);
    public static final Param<Double> CLIP_CONTRIB = Param.number("clipContribPercentile", REGULARIZERS, 0, 0, 100, "%",
            "pixels whose contribution to the objective is below this percentile are reset to grey (0: off)")
            .slider(0, 90, 1);

    public static final Param<Double> CONTRAST_FLOOR = Param.number("contrastFloor", REGULARIZERS, 0, 0, 10,
            "x training p1", "each image's deviation from its own mean colour is held at least at this multiple of the 1st "
                    + "percentile of the training pictures' contrast, so no image is flatter than the data (of their median for a "
                    + "filter whose best flat picture scores at least 99% of the example pictures; 0: off; a "
                    + "model whose metadata has no trainingPictures ignores it)").slider(0, 3, 0.05);

    public static final Param<Double> TV = Param.number("tv", PENALTIES, 0, 0, 1e3, "weight",
            "total variation (differences between neighbouring pixels) subtracted from the objective").slider(0, 5, 0.05);
    public static final Param<Double> L1 = Param.number("l1", PENALTIES, 0, 0, 1e3, "weight",
            "mean absolute distance from grey subtracted from the objective").slider(0, 2, 0.01);
    public static final Param<Double> L2 = Param.number("l2", PENALTIES, 0, 0, 1e3, "weight",
            "mean squared distance from grey subtracted from the objective").slider(0, 2, 0.01);
    public static final Param<Double> DIVERSITY = Param.number("diversity", PENALTIES, 0, 0, 1e4, "weight",
            "how alike the images of one run may be (Lucid's diversity: similarity of their Gram matrices on the "
                    + "objectives' layer, subtracted); with several copies of one filter, its several facets").slider(0, 20, 0.1);

    public static final Param<Double> LEAKY_RELU = Param.number("leakyRelu", BACKWARD, 0, 0, 1, "slope",
            "share of the gradient let through inactive ReLUs at the start, so silent filters wake (0: off)")
            .slider(0, 0.5, 0.01);
    public static final Param<Integer> LEAKY_STEPS = Param.integer("leakySteps", BACKWARD, 16, 0, 100_000, "steps",
            "how many steps the leak lasts").slider(0, 200, 1);

    /** Every setting, in the order the page and the docs show them. */
    public static final List<Param<?>> ALL = List.of(OPTIMIZER_KIND, LR, LR_DECAY, PARAMETERIZATION_KIND, DECORRELATE,
            INIT, PAD, JITTER, SCALE, ROTATE, L2_DECAY, BLUR_SIGMA, BLUR_EVERY, BLUR_DECAY, CLIP_NORM, CLIP_CONTRIB,
            CONTRAST_FLOOR, TV, L1, L2,
            DIVERSITY, LEAKY_RELU, LEAKY_STEPS);

    private Params() {
    }

    /** The setting of that name. @throws UserError naming the closest known one */
    public static Param<?> named(String name) {
        return ALL.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> new UserError(
                "unknown param '" + name + "'" + suggestion(name) + " (known: "
                        + String.join(", ", ALL.stream().map(Param::name).toList()) + ")"));
    }

    /** "; did you mean 'x'?" for a known name that the given one starts, else one at most two edits away. */
    private static String suggestion(String name) {
        String lower = name.toLowerCase();
        Comparator<String> closest = Comparator.comparing((String n) -> !n.toLowerCase().startsWith(lower))
                .thenComparingInt(n -> distance(n.toLowerCase(), lower));
        return ALL.stream().map(Param::name)
                .filter(n -> n.toLowerCase().startsWith(lower) || distance(n.toLowerCase(), lower) <= 2)
                .min(closest).map(n -> "; did you mean '" + n + "'?").orElse("");
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }
}
