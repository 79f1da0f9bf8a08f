package io.filterscope.engine.preset;

import static io.filterscope.engine.preset.Params.BLUR_DECAY;
import static io.filterscope.engine.preset.Params.BLUR_EVERY;
import static io.filterscope.engine.preset.Params.BLUR_SIGMA;
import static io.filterscope.engine.preset.Params.CLIP_CONTRIB;
import static io.filterscope.engine.preset.Params.CLIP_NORM;
import static io.filterscope.engine.preset.Params.DECORRELATE;
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
import io.filterscope.engine.objective.ClassObjective;
import io.filterscope.engine.objective.ImageNorm;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.TotalVariation;
import io.filterscope.engine.optimizer.OptimizerSettings;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.param.ParameterizationSpec;
import io.filterscope.engine.regularizer.GaussianBlur;
import io.filterscope.engine.regularizer.L2Decay;
import io.filterscope.engine.regularizer.PercentileClip;
import io.filterscope.engine.regularizer.Regularizer;
import io.filterscope.engine.render.LeakyStart;
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
            "normalized-gradient ascent with L2 decay, a shrinking blur and a leaky start (Yosinski et al.); filters' default",
            PLAIN.defaults().with(LR, 0.05).with(BLUR_SIGMA, 0.5).with(BLUR_EVERY, 4).with(BLUR_DECAY, 0.9)
                    .with(L2_DECAY, 0.995).with(LEAKY_RELU, 0.1).with(LEAKY_STEPS, 32),
            Presets::standard);

    /**
     * Stronger smoothing, for class logits: without it a class's ideal input is high-contrast noise that the
     * model still recognises but a person cannot; with much more (decay 0.97) the images fade to grey and the
     * model no longer recognises them.
     */
    public static final Preset SEED_SMOOTH = new Preset("seed-smooth",
            "seed-classic with more blur, decay, jitter and a total-variation penalty; classes' default",
            SEED_CLASSIC.defaults().with(LR_DECAY, 0.01).with(BLUR_SIGMA, 0.7).with(BLUR_EVERY, 2).with(BLUR_DECAY, 1.0)
                    .with(L2_DECAY, 0.99).with(JITTER, 1.0).with(TV, 0.3),
            Presets::standard);

    /**
     * Lucid's standard recipe: Fourier basis with decorrelated colour and a sigmoid into the valid range,
     * then pad 12, jitter 8, scale 0.9-1.1, rotate up to 10 degrees and jitter 4, with Adam at 0.05 in
     * spectrum units (lr 0.01 here, since the Fourier parameterization moves 5 spectrum units per unit of lr).
     */
    public static final Preset NATURAL = new Preset("natural",
            "Lucid's recipe: Fourier basis, decorrelated colour, pad, jitter, scale and rotation, Adam",
            PLAIN.defaults().with(OPTIMIZER_KIND, OptimizerSettings.Kind.ADAM).with(LR, 0.01)
                    .with(PARAMETERIZATION_KIND, ParameterizationSpec.Kind.FFT).with(PAD, 12).with(JITTER, 8.0)
                    .with(SCALE, List.of(0.9, 0.92, 0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06, 1.08, 1.1)).with(ROTATE, 10.0),
            Presets::natural);

    public static final List<Preset> ALL = List.of(PLAIN, SEED_CLASSIC, SEED_SMOOTH, NATURAL);

    private Presets() {
    }

    /** The preset of that name. @throws UserError listing the presets */
    public static Preset named(String name) {
        return ALL.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> UserError.notFound(
                "unknown preset '" + name + "' (presets: " + String.join(", ", ALL.stream().map(Preset::name).toList()) + ")"));
    }

    /** The preset a run of these objectives gets when it names none: class logits want more smoothing than filters. */
    public static Preset defaultFor(List<Objective> objectives) {
        return objectives.stream().anyMatch(o -> o instanceof ClassObjective) ? SEED_SMOOTH : SEED_CLASSIC;
    }

    /** The default preset for a kind of objective, by its protocol name ({@code channel}, {@code class}...). */
    public static Preset defaultFor(String objectiveType) {
        return objectiveType.equals("class") ? SEED_SMOOTH : SEED_CLASSIC;
    }

    /**
     * Settings to parts, one line per part: a part whose settings switch it off is left out. A new transform
     * or regularizer is one class, its test and one line here (with its settings declared in {@link Params}).
     */
    static RunParts standard(Settings s, InputSpace space) {
        List<Transform> transforms = new ArrayList<>();
        if (s.get(PAD) > 0) {
            transforms.add(new Pad(s.get(PAD), space));
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
        Objective penalty = null;
        penalty = subtract(penalty, s.get(TV), new TotalVariation());
        penalty = subtract(penalty, s.get(L1), ImageNorm.L1);
        penalty = subtract(penalty, s.get(L2), ImageNorm.L2);
        return new RunParts(new ParameterizationSpec(s.get(PARAMETERIZATION_KIND), s.get(DECORRELATE), space),
                new OptimizerSettings(s.get(OPTIMIZER_KIND), s.get(LR), s.get(LR_DECAY)), transforms, regularizers,
                penalty, new LeakyStart(s.get(LEAKY_RELU), s.get(LEAKY_STEPS)));
    }

    /** {@code sum - weight * term}, where a null sum is nothing yet and a zero weight leaves the term out. */
    private static Objective subtract(Objective sum, double weight, Objective term) {
        if (weight == 0) {
            return sum;
        }
        Objective scaled = term.times(-weight);
        return sum == null ? scaled : sum.plus(scaled);
    }

    /** {@link #standard}, then Lucid's last, smaller jitter (half the first) after scale and rotation. */
    static RunParts natural(Settings s, InputSpace space) {
        RunParts parts = standard(s, space);
        if (s.get(JITTER) < 2) {
            return parts;
        }
        List<Transform> transforms = new ArrayList<>(parts.transforms());
        transforms.add(new RandomAffine(Math.floor(s.get(JITTER) / 2), List.of(), 0));
        return new RunParts(parts.parameterization(), parts.optimizer(), transforms, parts.regularizers(), parts.penalty(),
                parts.leak());
    }
}
