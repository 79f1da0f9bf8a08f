package io.filterscope.engine.preset;

import static io.filterscope.engine.preset.Params.BLUR_DECAY;
import static io.filterscope.engine.preset.Params.BLUR_EVERY;
import static io.filterscope.engine.preset.Params.BLUR_SIGMA;
import static io.filterscope.engine.preset.Params.CLIP_CONTRIB;
import static io.filterscope.engine.preset.Params.CLIP_NORM;
import static io.filterscope.engine.preset.Params.CONTRAST_FLOOR;
import static io.filterscope.engine.preset.Params.DECORRELATE;
import static io.filterscope.engine.preset.Params.DIVERSITY;
import static io.filterscope.engine.preset.Params.INIT;
import static io.filterscope.engine.preset.Params.JITTER;
import static io.filterscope.engine.preset.Params.L1;
import static io.filterscope.engine.preset.Params.L2;
import static io.filterscope.engine.preset.Params.L2_DECAY;
import static io.filterscope.engine.preset.Params.LEAKY_RELU;
import static io.filterscope.engine.preset.Params.LEAKY_STEPS;
import static io.filterscope.engine.preset.Params.LR;
import static io.filterscope.engine.preset.Params.LR_DECAY;
import static io.filterscope.engine.preset.Params.OPTIMIZER_KIND;
import static io.filterscope.engine.preset.Params.PAD;
import static io.filterscope.engine.preset.Params.PARAMETERIZATION_KIND;
import static io.filterscope.engine.preset.Params.ROTATE;
import static io.filterscope.engine.preset.Params.SCALE;
import static io.filterscope.engine.preset.Params.TV;

import io.filterscope.UserError;
import io.filterscope.engine.objective.DeepDreamObjective;
import io.filterscope.engine.objective.Diversity;
import io.filterscope.engine.objective.ImageNorm;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.TotalVariation;
import io.filterscope.engine.optimizer.OptimizerSettings;
import io.filterscope.engine.param.ParameterizationSpec;
import io.filterscope.engine.regularizer.ContrastFloor;
import io.filterscope.engine.regularizer.GaussianBlur;
import io.filterscope.engine.regularizer.L2Decay;
import io.filterscope.engine.regularizer.PercentileClip;
import io.filterscope.engine.regularizer.Regularizer;
import io.filterscope.engine.render.LeakyStart;
import io.filterscope.engine.render.ModelData;
import io.filterscope.engine.render.RunParts;
import io.filterscope.engine.transform.Pad;
import io.filterscope.engine.transform.RandomAffine;
import io.filterscope.engine.transform.Transform;
import java.util.ArrayList;
import java.util.List;

/** The presets a user can pick, by name, and which one each kind of objective gets by default. */
public final class Presets {

    /** Bare ascent: every setting at its {@link Param#base}, no regularization at all. */
    public static final Preset PLAIN = new Preset("plain",
            "normalized-gradient ascent and nothing else: what the network alone asks for, usually high-frequency noise",
            Settings.base(), Presets::standard);

    /**
     * The seeds' recipe for filters (Keras blog, Yosinski et al.): a little blur and decay, and a leaky start
     * long enough that filters silent on grey still wake (on fashion-cnn's conv2, 16 leaky steps left 7 of 32
     * filters that do fire on real images looking dead; 32 steps left none).
     */
    public static final Preset SEED_CLASSIC = new Preset("seed-classic",
            "normalized-gradient ascent with L2 decay, a shrinking blur and a leaky start (Yosinski et al.); DeepDream's default",
            PLAIN.defaults().with(LR, 0.05).with(BLUR_SIGMA, 0.5).with(BLUR_EVERY, 4).with(BLUR_DECAY, 0.9)
                    .with(L2_DECAY, 0.995).with(LEAKY_RELU, 0.1).with(LEAKY_STEPS, 32),
            Presets::standard);

    /**
     * Stronger smoothing, for class logits: without it a class's ideal input is high-contrast noise that the
     * model still recognises but a person cannot; with much more (decay 0.97) the images fade to grey and the
     * model no longer recognises them.
     */
    public static final Preset SEED_SMOOTH = new Preset("seed-smooth",
            "seed-classic with more blur, decay, jitter and a total-variation penalty (classes' default before data-prior)",
            SEED_CLASSIC.defaults().with(LR_DECAY, 0.01).with(BLUR_SIGMA, 0.7).with(BLUR_EVERY, 2).with(BLUR_DECAY, 1.0)
                    .with(L2_DECAY, 0.99).with(JITTER, 1.0).with(TV, 0.3),
            Presets::standard);

    /**
     * Lucid's standard recipe: Fourier basis with decorrelated colour and a sigmoid into the valid range,
     * then pad 12, jitter 8, scale 0.9-1.1, rotate up to 10 degrees and jitter 4, with Adam at 0.05 in
     * spectrum units (lr 0.01 here, since the Fourier parameterization moves 5 spectrum units per unit of lr).
     * Lucid's render_vis also lets gradients through ReLUs that are off for its first 16 steps (its redirected
     * ReLU gradient); the leaky start does that here, as in seed-classic. Without it, filters silent on the
     * first image never woke: 26 of fashion-cnn's 32 conv2 tiles stayed grey after 64 steps (docs/quality.md).
     */
    public static final Preset NATURAL = new Preset("natural",
            "Lucid's recipe: Fourier basis, decorrelated colour, pad, jitter, scale and rotation, Adam, a leaky start",
            PLAIN.defaults().with(OPTIMIZER_KIND, OptimizerSettings.Kind.ADAM).with(LR, 0.01)
                    .with(PARAMETERIZATION_KIND, ParameterizationSpec.Kind.FFT).with(PAD, 12).with(JITTER, 8.0)
                    .with(SCALE, List.of(0.9, 0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06, 1.08, 1.1)).with(ROTATE, 10.0)
                    .with(LEAKY_RELU, 0.1).with(LEAKY_STEPS, 32),
            Presets::natural);

    /**
     * The model's learned image prior (Nguyen et al.'s generator prior, as principal components of the training
     * pictures' logits): the image is a latent code through the prior's decoder and a sigmoid, moved by Adam, with
     * a little jitter, the code held at the prior's typical distance from the mean picture ({@link
     * io.filterscope.engine.param.PriorImage}; the decay towards the mean it had before left 5 of emoji-cnn's 72
     * conv1 and conv2 tiles near-flat colours, docs/quality.md), starting from the mean of the example pictures that
     * excite the objective most (Nguyen et al.'s mean-image initialization: from a random code, 23 of emoji-cnn's 48
     * conv2 tiles and 40 of its 96 conv3 tiles scored below their filter's best example picture after the gallery's 64
     * steps, 7 and 25 from the top examples; docs/quality.md), or from its top picture when that excites it more
     * ({@link io.filterscope.engine.render.AscentRun}), every image held at least as contrasty as the 1st percentile of
     * the training pictures ({@link io.filterscope.engine.regularizer.ContrastFloor}: no picture of the data is one flat
     * colour; without it 19 of emoji-cnn's 24 conv1 tiles and 9 of its 48 conv2 tiles were flat, docs/quality.md), or
     * as their median for an objective whose best picture is a flat colour or near it ({@link #contrastReferences}, row
     * by row).
     * Measured on both bundled models (200 steps, class logits):
     * 10/10 class images named by an independent classifier, no more jagged and no fainter than the training
     * pictures, against 1/10 named and 0-3/10 contrasty with seed-smooth (docs/quality.md). The filters' default
     * too, with the seeds' leaky start so that filters silent on the mean picture wake (without it, 2 of fashion-cnn's
     * conv2 tiles stayed dark). seed-classic, the filters' default before, left 10 of conv1's 32 tiles flat white or
     * black squares on each model (docs/quality.md). A model without a prior, or a run at a size other than its
     * prior's ({@link io.filterscope.engine.render.ModelData#at}), gets {@link #NATURAL}, Lucid's recipe, with the
     * same changes the run made to these settings.
     */
    public static final Preset DATA_PRIOR = new Preset("data-prior",
            "a code of the model's learned image prior (pictures like its training data), Adam; the default "
                    + "(natural, Lucid's recipe, for a model without a prior or at a size other than its prior's)",
            PLAIN.defaults().with(OPTIMIZER_KIND, OptimizerSettings.Kind.ADAM).with(LR, 0.05)
                    .with(PARAMETERIZATION_KIND, ParameterizationSpec.Kind.PRIOR).with(INIT, ParameterizationSpec.Init.EXAMPLES)
                    .with(JITTER, 2.0).with(CONTRAST_FLOOR, 1.0).with(LEAKY_RELU, 0.1).with(LEAKY_STEPS, 32),
            Presets::dataPrior);

    public static final List<Preset> ALL = List.of(PLAIN, SEED_CLASSIC, SEED_SMOOTH, NATURAL, DATA_PRIOR);

    private Presets() {
    }

    /** The preset of that name. @throws UserError listing the presets */
    public static Preset named(String name) {
        return ALL.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> UserError.notFound(
                "unknown preset '" + name + "' (presets: " + String.join(", ", ALL.stream().map(Preset::name).toList()) + ")"));
    }

    /**
     * The preset a run of these objectives gets when it names none: {@link #DATA_PRIOR}, except that DeepDream,
     * which changes a picture of the user's rather than drawing one, keeps {@link #SEED_CLASSIC}.
     */
    public static Preset defaultFor(List<Objective> objectives) {
        return objectives.stream().allMatch(o -> o instanceof DeepDreamObjective) ? SEED_CLASSIC : DATA_PRIOR;
    }

    /** The default preset for a kind of objective, by its protocol name ({@code channel}, {@code class}...). */
    public static Preset defaultFor(String objectiveType) {
        return objectiveType.equals("deepdream") ? SEED_CLASSIC : DATA_PRIOR;
    }

    /**
     * Settings to parts, one line per part: a part whose settings switch it off is left out. A new transform
     * or regularizer is one class, its test and one line here (with its settings declared in {@link Params}).
     */
    static RunParts standard(Settings s, ModelData model, List<Objective> objectives) {
        List<Transform> transforms = new ArrayList<>();
        // A pad makes the image larger, which a layer after a dense one on flattened maps cannot take.
        boolean anySize = objectives.stream().flatMap(o -> o.layers().stream()).allMatch(model.anySize());
        if (s.get(PAD) > 0 && anySize) {
            transforms.add(new Pad(s.get(PAD), model.space()));
        }
        if (s.get(JITTER) > 0 || s.get(ROTATE) > 0 || !s.get(SCALE).isEmpty()) {
            transforms.add(new RandomAffine(s.get(JITTER), s.get(SCALE), s.get(ROTATE)));
        }
        // Applied in this order after every update, as in Yosinski et al.
        List<Regularizer> regularizers = new ArrayList<>();
        if (s.get(L2_DECAY) < 1) {
            regularizers.add(new L2Decay(s.get(L2_DECAY)));
        }
        if (s.get(BLUR_SIGMA) > 0) {
            regularizers.add(new GaussianBlur(s.get(BLUR_SIGMA), s.get(BLUR_EVERY), s.get(BLUR_DECAY)));
        }
        if (s.get(CLIP_NORM) > 0) {
            regularizers.add(PercentileClip.byNorm(s.get(CLIP_NORM)));
        }
        if (s.get(CLIP_CONTRIB) > 0) {
            regularizers.add(PercentileClip.byContribution(s.get(CLIP_CONTRIB)));
        }
        double[] floors = s.get(CONTRAST_FLOOR) > 0 ? contrastReferences(model, objectives) : null;
        if (floors != null) {
            regularizers.add(new ContrastFloor(java.util.Arrays.stream(floors).map(f -> s.get(CONTRAST_FLOOR) * f).toArray()));
        }
        Objective penalty = null;
        penalty = subtract(penalty, s.get(TV), new TotalVariation());
        penalty = subtract(penalty, s.get(L1), ImageNorm.L1);
        penalty = subtract(penalty, s.get(L2), ImageNorm.L2);
        penalty = subtract(penalty, s.get(DIVERSITY), Diversity.OF_OBJECTIVES);
        return new RunParts(new ParameterizationSpec(parameterization(s, model), s.get(DECORRELATE), s.get(INIT), model.space(), model.prior()),
                new OptimizerSettings(s.get(OPTIMIZER_KIND), s.get(LR), s.get(LR_DECAY)), transforms, regularizers,
                penalty, new LeakyStart(s.get(LEAKY_RELU), s.get(LEAKY_STEPS)), model.examples());
    }

    /**
     * The contrast that {@code contrastFloor} multiplies, per objective (image row), or one for all when they agree: the
     * 1st percentile of the training pictures' contrast, no picture flatter than the data; but their median for an
     * objective whose best picture we know is one flat colour or near it: on a layer affine in the input (emoji-cnn's
     * conv1), or a filter whose best flat picture scores at least the 99th percentile of its example pictures ({@link
     * ModelData#flatRivals}). Held only at the 1st percentile, their tiles were that colour with a soft spot or a faint
     * pattern (14 of conv1's 24, 19 of conv2's 48 near-flat to a person; with the median only for filters whose flat
     * colour beat every example picture, 20 on conv2 to conv4, each of a filter whose flat colour beat 93% or more;
     * docs/quality.md), where among pictures as contrasty as a typical one the ascent shows the contrast the filter gives
     * up least. A single filter's run gets the value its tile in a gallery gets. Null when the model's metadata does
     * not say.
     */
    static double[] contrastReferences(ModelData model, List<Objective> objectives) {
        if (model.contrastP1() == null) {
            return null;
        }
        // Only a model with training-picture statistics asks (the first time, a forward pass per layer).
        double[] each = objectives.stream().mapToDouble(o -> model.contrastP50() != null
                && (o.layers().stream().allMatch(model.affine()) || model.flatRivals().test(o)) ? model.contrastP50() : model.contrastP1())
                .toArray();
        return each.length == 0 ? new double[] {model.contrastP1()}
                : java.util.Arrays.stream(each).distinct().count() == 1 ? new double[] {each[0]} : each;
    }

    /** {@code sum - weight * term}, where a null sum is nothing yet and a zero weight leaves the term out. */
    private static Objective subtract(Objective sum, double weight, Objective term) {
        if (weight == 0) {
            return sum;
        }
        Objective scaled = term.times(-weight);
        return sum == null ? scaled : sum.plus(scaled);
    }

    /** A preset and the settings it renders with. */
    public record Rendering(Preset preset, Settings settings) {
    }

    /**
     * What a run asked for {@code preset} with {@code settings} renders with on this model's data (at the run's size,
     * {@link ModelData#at}): the same, except {@link #DATA_PRIOR} without a prior, which renders as {@link #NATURAL} with
     * every setting the run changed from data-prior's defaults changed the same way ({@link Settings#withChanges}), and a
     * prior's code asked for where there is none, which is a Fourier image ({@link #parameterization}). What a record of the
     * run names (a PNG's settings), so that it says what was drawn and repeats it.
     */
    public static Rendering rendered(Preset preset, Settings settings, ModelData model) {
        Rendering asked = preset == DATA_PRIOR && model.prior() == null
                ? new Rendering(NATURAL, NATURAL.defaults().withChanges(DATA_PRIOR.defaults(), settings)) : new Rendering(preset, settings);
        ParameterizationSpec.Kind kind = parameterization(asked.settings(), model);
        return kind == asked.settings().get(PARAMETERIZATION_KIND) ? asked
                : new Rendering(asked.preset(), asked.settings().with(PARAMETERIZATION_KIND, kind));
    }

    /**
     * The parameterization a run gets: the one its settings name, except a prior's code where the model has no prior at
     * the run's size, which is a Fourier image (Lucid's default) instead.
     */
    private static ParameterizationSpec.Kind parameterization(Settings s, ModelData model) {
        ParameterizationSpec.Kind kind = s.get(PARAMETERIZATION_KIND);
        return kind == ParameterizationSpec.Kind.PRIOR && model.prior() == null ? ParameterizationSpec.Kind.FFT : kind;
    }

    /** {@link #standard} with the model's prior; for a model without one, {@link #NATURAL} as {@link #rendered} says. */
    static RunParts dataPrior(Settings s, ModelData model, List<Objective> objectives) {
        Rendering r = rendered(DATA_PRIOR, s, model);
        return r.preset() == DATA_PRIOR ? standard(s, model, objectives) : natural(r.settings(), model, objectives);
    }

    /** {@link #standard}, then Lucid's last, smaller jitter (half the first) after scale and rotation. */
    static RunParts natural(Settings s, ModelData model, List<Objective> objectives) {
        RunParts parts = standard(s, model, objectives);
        if (s.get(JITTER) < 2) {
            return parts;
        }
        List<Transform> transforms = new ArrayList<>(parts.transforms());
        transforms.add(new RandomAffine(Math.floor(s.get(JITTER) / 2), List.of(), 0));
        return new RunParts(parts.parameterization(), parts.optimizer(), transforms, parts.regularizers(), parts.penalty(),
                parts.leak(), parts.examples());
    }
}
