package io.filterscope.engine.preset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.ClassObjective;
import io.filterscope.engine.objective.DeepDreamObjective;
import io.filterscope.engine.objective.TotalVariation;
import io.filterscope.engine.objective.WeightedSum;
import io.filterscope.engine.optimizer.OptimizerSettings;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.param.ParameterizationSpec;
import io.filterscope.engine.regularizer.ContrastFloor;
import io.filterscope.engine.regularizer.GaussianBlur;
import io.filterscope.engine.regularizer.L2Decay;
import io.filterscope.engine.render.LeakyStart;
import io.filterscope.engine.render.ModelData;
import io.filterscope.engine.render.RunParts;
import io.filterscope.engine.transform.Pad;
import io.filterscope.engine.transform.RandomAffine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Presets are functions from settings to parts: what each builds, and which one an objective gets. */
class PresetsTest {

    private static RunParts parts(Preset p) {
        return p.build(p.defaults(), InputSpace.UNIT);
    }

    @Test
    void plainBuildsBareAscentWithNothingElse() {
        RunParts plain = parts(Presets.PLAIN);
        assertEquals(List.of(), plain.transforms(), "no transform is on by default");
        assertEquals(List.of(), plain.regularizers());
        assertNull(plain.penalty());
        assertEquals(new OptimizerSettings(OptimizerSettings.Kind.ASCENT, 0.01, 0), plain.optimizer());
        assertEquals(ParameterizationSpec.Kind.PIXEL, plain.parameterization().kind());
    }

    @Test
    void seedPresetsBuildTheSeedsRegularizersAndPenalty() {
        assertEquals(List.of(new L2Decay(0.995), new GaussianBlur(0.5, 4, 0.9)), parts(Presets.SEED_CLASSIC).regularizers());
        RunParts smooth = parts(Presets.SEED_SMOOTH);
        assertEquals(List.of(new RandomAffine(1, List.of(), 0)), smooth.transforms());
        assertEquals(new WeightedSum(List.of(new WeightedSum.Term(-0.3, new TotalVariation()))), smooth.penalty());
        assertEquals(0.01, smooth.optimizer().lrDecay());
    }

    @Test
    void naturalIsLucidsRecipeInLucidsOrder() {
        RunParts natural = parts(Presets.NATURAL);
        assertEquals(ParameterizationSpec.Kind.FFT, natural.parameterization().kind());
        assertTrue(natural.parameterization().decorrelate());
        assertEquals(OptimizerSettings.Kind.ADAM, natural.optimizer().kind());
        assertEquals(3, natural.transforms().size());
        assertEquals(new Pad(12, InputSpace.UNIT), natural.transforms().get(0));
        RandomAffine big = assertInstanceOf(RandomAffine.class, natural.transforms().get(1));
        assertEquals(8, big.jitter());
        assertEquals(10, big.rotate());
        assertEquals(new RandomAffine(4, List.of(), 0), natural.transforms().get(2), "then a smaller jitter");
        assertEquals(28 + 24, natural.inputSize(28), "the network sees the padded image");
        assertEquals(new LeakyStart(0.1, 32), natural.leak(), "Lucid's redirected ReLU gradient at the start, as a leaky start");
    }

    @Test
    void classesAndFiltersDefaultToTheDataPriorAndDeepDreamToSeedClassic() {
        assertEquals(Presets.DATA_PRIOR, Presets.defaultFor(List.of(new ClassObjective("out", 1, null))));
        assertEquals(Presets.DATA_PRIOR, Presets.defaultFor(List.of(new ChannelObjective("c1", 1))));
        assertEquals(Presets.SEED_CLASSIC, Presets.defaultFor(List.of(new DeepDreamObjective("c1"))));
        assertEquals(Presets.DATA_PRIOR, Presets.defaultFor("class"));
        assertEquals(Presets.DATA_PRIOR, Presets.defaultFor("channel"));
        assertEquals(Presets.SEED_CLASSIC, Presets.defaultFor("deepdream"));
    }

    /**
     * On a model without a learned prior (here: one known only by its input space), data-prior is Lucid's recipe:
     * the same parts as natural, and a setting the run changes from data-prior's defaults is changed in them too.
     */
    @Test
    void dataPriorWithoutAPriorIsNaturalWithTheRunsChanges() {
        assertEquals(parts(Presets.NATURAL), parts(Presets.DATA_PRIOR));
        Settings changed = Presets.DATA_PRIOR.defaults().with(Params.ROTATE, 5.0);
        RunParts expected = Presets.NATURAL.build(Presets.NATURAL.defaults().with(Params.ROTATE, 5.0), InputSpace.UNIT);
        assertEquals(expected, Presets.DATA_PRIOR.build(changed, InputSpace.UNIT));
        assertTrue(!parts(Presets.NATURAL).equals(Presets.DATA_PRIOR.build(changed, InputSpace.UNIT)), "the change is not lost");
    }

    /**
     * A setting the run's params give is kept in natural's place even when it equals data-prior's default (init
     * examples is both data-prior's default and a user's choice natural does not make), and a rerun's params (only
     * what was given) build the same parts.
     */
    @Test
    void dataPriorWithoutAPriorKeepsWhatTheParamsGaveEvenAtDataPriorsDefault() {
        Settings asked = Presets.DATA_PRIOR.defaults().with(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("init", "examples"));
        RunParts parts = Presets.DATA_PRIOR.build(asked, InputSpace.UNIT);
        assertEquals(ParameterizationSpec.Init.EXAMPLES, parts.parameterization().init());
        assertEquals(ParameterizationSpec.Kind.FFT, parts.parameterization().kind(), "the rest is natural's");
        assertTrue(parts(Presets.DATA_PRIOR).parameterization().init() != ParameterizationSpec.Init.EXAMPLES,
                "without the param, natural's own start");
        assertEquals("{\"init\":\"examples\"}", asked.givenJson().toString());
        assertEquals(parts, Presets.DATA_PRIOR.build(Presets.DATA_PRIOR.defaults().with(asked.givenJson()), InputSpace.UNIT));
    }

    /**
     * The contrast floor multiplies the training pictures' 1st percentile of contrast, but their median for an
     * objective whose best picture is one flat colour or near it (on a layer affine in the input, or a filter whose
     * best flat colour rivals its example pictures, {@code FilterBaselines.flatRivalsExamples}), row by row: a gallery
     * of both kinds holds each at its own, a single filter's run gets what its tile gets; the 1st percentile when the
     * metadata gives no median.
     */
    @Test
    void theContrastFloorIsOfTheMedianPictureForObjectivesWhoseFlatColourRivalsTheirExamplesRowByRow() {
        ChannelObjective flat = new ChannelObjective("conv3", 2);
        ChannelObjective patterned = new ChannelObjective("conv3", 5);
        ModelData model = new ModelData(InputSpace.UNIT, null, null, 0.08, 0.25, layer -> true, "conv1"::equals, flat::equals);
        assertArrayEquals(new double[] {0.25}, Presets.contrastReferences(model, List.of(new ChannelObjective("conv1", 7))));
        assertArrayEquals(new double[] {0.25}, Presets.contrastReferences(model, List.of(flat)));
        assertArrayEquals(new double[] {0.08}, Presets.contrastReferences(model, List.of(patterned)));
        assertArrayEquals(new double[] {0.08, 0.25, 0.08}, Presets.contrastReferences(model, List.of(patterned, flat, patterned)));
        assertArrayEquals(new double[] {0.25, 0.08}, Presets.contrastReferences(model,
                List.of(new ChannelObjective("conv1", 7), new ChannelObjective("relu1", 7))));
        assertArrayEquals(new double[] {0.08}, Presets.contrastReferences(model, List.of(new ClassObjective("logits", 1, null))));
        assertArrayEquals(new double[] {0.08}, Presets.contrastReferences(new ModelData(InputSpace.UNIT, null, null, 0.08, null,
                layer -> true, "conv1"::equals, flat::equals), List.of(flat, new ChannelObjective("conv1", 7))));
        assertNull(Presets.contrastReferences(ModelData.of(InputSpace.UNIT), List.of(new ChannelObjective("conv1", 7))));
        RunParts parts = Presets.DATA_PRIOR.build(Presets.DATA_PRIOR.defaults().with(Params.CONTRAST_FLOOR, 2.0), model,
                List.of(patterned, flat));
        assertTrue(parts.regularizers().contains(new ContrastFloor(new double[] {0.16, 0.5})), parts.regularizers().toString());
    }

    @Test
    void anUnknownPresetIsNamedWithTheKnownOnes() {
        UserError e = assertThrows(UserError.class, () -> Presets.named("pretty"));
        assertTrue(e.getMessage().contains("unknown preset 'pretty'") && e.getMessage().contains("natural"), e.getMessage());
    }
}
