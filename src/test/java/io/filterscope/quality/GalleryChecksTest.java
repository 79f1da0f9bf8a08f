package io.filterscope.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A gallery's checks on emoji-cnn's conv1, whose mean map is a linear function of the picture (its ReLU is the next
 * layer), on tiles whose answers are known: flat pictures, the model's own example pictures, grey and pale ones.
 */
class GalleryChecksTest {
    private static final LoadedModel MODEL = new ModelStore(Path.of("models")).load("emoji-cnn");
    private static final int S = 64;
    private static final int PLANE = S * S;

    private static float[] flat(int[] levels) {
        float[] p = new float[3 * PLANE];
        for (int ch = 0; ch < 3; ch++) {
            Arrays.fill(p, ch * PLANE, (ch + 1) * PLANE, levels[ch] / 255f);
        }
        return p;
    }

    /**
     * Its best example, the 99th percentile of its example pictures and its best flat picture over five levels a
     * channel, each by the model's own forward pass of pictures made here.
     */
    @Test
    void baselinesAreTheBestExampleTheTopPercentAndTheBestFlatPictureByTheModelsOwnForwardPass() throws Exception {
        FilterBaselines base = FilterBaselines.of(MODEL, "conv1");
        double[][] examples = FilterBaselines.scores(MODEL, "conv1", Arrays.asList(MODEL.examples().pixels()));
        List<float[]> grid = new java.util.ArrayList<>();
        for (int r = 0; r <= 4; r++) {
            for (int g = 0; g <= 4; g++) {
                for (int b = 0; b <= 4; b++) {
                    float[] p = new float[3 * PLANE];
                    Arrays.fill(p, 0, PLANE, r / 4f);
                    Arrays.fill(p, PLANE, 2 * PLANE, g / 4f);
                    Arrays.fill(p, 2 * PLANE, 3 * PLANE, b / 4f);
                    grid.add(p);
                }
            }
        }
        double[][] flats = FilterBaselines.scores(MODEL, "conv1", grid);
        for (int f = 0; f < 24; f++) {
            int filter = f;
            double[] answers = Arrays.stream(examples).mapToDouble(r -> r[filter]).sorted().toArray();
            assertEquals(answers[answers.length - 1], base.bestExample()[f], 1e-5);
            double at = 0.99 * (answers.length - 1);
            int lo = (int) at;
            assertEquals(answers[lo] + (at - lo) * (answers[lo + 1] - answers[lo]), base.topExamples()[f], 1e-5);
            assertEquals(Arrays.stream(flats).mapToDouble(r -> r[filter]).max().orElseThrow(), base.bestFlat()[f], 1e-5);
            // conv1 is affine in the pixels: its best flat colour is a corner of the cube, whose levels are exact.
            double[] own = FilterBaselines.scores(MODEL, "conv1", List.of(flat(base.bestFlatColour()[f])))[0];
            assertEquals(base.bestFlat()[f], own[f], 1e-5, "filter " + f + "'s best flat colour scores its best flat score");
        }
        // The scores of one picture do not depend on the pictures it is scored with (slices of 32, the last one short).
        assertEquals(examples[40][3], FilterBaselines.scores(MODEL, "conv1", List.of(MODEL.examples().pixels()[40]))[0][3], 1e-5);
    }

    /**
     * A flat colour rivals a filter's examples when its best flat picture scores at least their 99th percentile; it is
     * preferred only when it beats every one. On emoji-cnn, conv2 filter 7's rivals them without beating them all, and
     * conv3 filter 10's best flat colour, which beats them all, is none of the cube's corners (each of which scores below
     * a quarter of its example pictures): held at the data's least contrast, both tiles were near-flat (docs/quality.md).
     */
    @Test
    void aFlatColourRivalsTheExamplesFromTheirTopPercentAndIsPreferredOnlyAboveThemAll() {
        FilterBaselines made = new FilterBaselines(new double[] {1, 1, 1, 1}, new double[] {0.5, 0.5, 0.5, 0.5},
                new double[] {1.2, 0.6, 0.5, 0.4}, new int[4][3]);
        assertEquals(List.of(true, true, true, false), java.util.stream.IntStream.range(0, 4).mapToObj(made::flatRivalsExamples).toList());
        assertEquals(List.of(true, false, false, false), java.util.stream.IntStream.range(0, 4).mapToObj(made::prefersFlat).toList());
        FilterBaselines conv2 = MODEL.baselines("conv2");
        assertTrue(conv2.flatRivalsExamples(7) && !conv2.prefersFlat(7));
        FilterBaselines conv3 = MODEL.baselines("conv3");
        assertTrue(conv3.prefersFlat(10) && conv3.flatRivalsExamples(10));
        assertTrue(Arrays.stream(conv3.bestFlatColour()[10]).anyMatch(level -> level != 0 && level != 255),
                Arrays.toString(conv3.bestFlatColour()[10]));
    }

    @Test
    void aFlatTileIsExcusedOnlyInItsFiltersBestFlatColourAndGreyPaleAndLowScoresAreListed() throws Exception {
        FilterBaselines base = FilterBaselines.of(MODEL, "conv1");
        int f = java.util.stream.IntStream.range(0, 24).filter(base::prefersFlat).findFirst().orElseThrow();
        int[] best = base.bestFlatColour()[f];
        int[] other = {255 - best[0], 255 - best[1], 255 - best[2]};
        float[] example = Arrays.stream(MODEL.examples().pixels())
                .filter(p -> PictureMeasures.brightness(p) > 0.6 && PictureMeasures.brightness(p) < 0.8
                        && PictureMeasures.colourSpread(p, 3, S, S) > 5 * GalleryChecks.GREY_LEVELS)
                .findFirst().orElseThrow();
        // A quarter of the example's distance from white: brightness above 0.9, channels still over 20 levels apart.
        float[] pale = example.clone();
        for (int i = 0; i < pale.length; i++) {
            pale[i] = 1 - 0.25f * (1 - pale[i]);
        }
        float[] grey = new float[3 * PLANE];
        for (int i = 0; i < PLANE; i++) {
            float v = i % S < S / 2 ? 0.2f : 0.6f;
            grey[i] = v;
            grey[PLANE + i] = v;
            grey[2 * PLANE + i] = v + 10 / 255f;
        }
        List<Integer> filters = List.of(f, f, f, f, f, (f + 1) % 24);
        GalleryChecks checks = GalleryChecks.check(MODEL, "conv1", filters, List.of(flat(best), flat(other), pale, grey, example, example),
                Set.of((f + 1) % 24));
        assertEquals(List.of(f, f, f, f, f), checks.live(), "a dead filter's tile is not checked");
        assertEquals(List.of(f), checks.flatTruth());
        assertEquals(List.of(f), checks.flat(), "the flat tile of the other colour");
        assertEquals(List.of(f), checks.pale(), "brighter than 95% of the example pictures");
        assertEquals(List.of(f), checks.grey(), "channels 10 levels apart");
        assertTrue(checks.belowFlat().contains(f), "the other colour scores below the best flat colour");
        assertEquals(base.bestFlat()[f], checks.scores()[0], 1e-5);
        assertTrue(checks.scores()[4] <= base.bestExample()[f]);
        assertFalse(checks.lines(filters).isEmpty());
        assertTrue(checks.lines(filters).get(0).startsWith("flat tiles of live filters: 2 of 5 [" + f + ", " + f + "]"),
                checks.lines(filters).get(0));
    }

    /**
     * A tile of one colour with a soft spot, which the flat measure passes, is near-flat against the example pictures'
     * 5th percentile of colour deviation and listed with its deviation; an example picture with an emoji on it is not.
     */
    @Test
    void aColourWithASoftSpotIsNearFlatAndAnEmojiIsNot() throws Exception {
        float[] emoji = Arrays.stream(MODEL.examples().pixels())
                .filter(p -> PictureMeasures.colourDeviation(p, 3, S, S) > 20).findFirst().orElseThrow();
        float[] spot = flat(new int[] {0, 255, 0});
        for (int i = 0; i < PLANE; i++) {
            double dy = i / S - 31.5;
            double dx = i % S - 31.5;
            spot[i] = (float) Math.exp(-(dy * dy + dx * dx) / 72);
        }
        List<Integer> filters = List.of(5, 6);
        GalleryChecks checks = GalleryChecks.check(MODEL, "conv1", filters, List.of(emoji, spot), Set.of());
        assertEquals(List.of(), checks.flat(), "not flat: most of the spot is more than 8 levels from the green");
        assertEquals(List.of(6), checks.nearFlat());
        assertEquals(PictureMeasures.nearFlatLimit(MODEL.examples().pixels(), 3, S, S), checks.nearFlatLimit().doubleValue(), 0);
        assertEquals(PictureMeasures.colourDeviation(spot, 3, S, S), checks.deviations()[1], 0);
        String line = String.format("near-flat tiles of live filters: 1 of 2 [6 (%.1f)] (near-flat: not flat, a mean CIE94 colour "
                + "difference from the tile's mean colour below %.1f, the 5th percentile of the example pictures')",
                checks.deviations()[1], checks.nearFlatLimit());
        assertTrue(checks.lines(filters).contains(line), String.join("\n", checks.lines(filters)));
    }

    @Test
    void theExamplePicturesLimitsAreFoundOncePerModelAndKept() throws Exception {
        ExampleLimits limits = MODEL.exampleLimits();
        assertSame(limits, MODEL.exampleLimits(), "a server judges every gallery it ends against the same limits");
        float[][] examples = MODEL.examples().pixels();
        assertEquals(PictureMeasures.flatLimit(examples, 3, S, S), limits.flat(), 0);
        assertEquals(PictureMeasures.nearFlatLimit(examples, 3, S, S), limits.nearFlat(), 0);
        assertTrue(limits.pale() > 0 && limits.pale() < 1, "a brightness percentile: " + limits.pale());
    }

    /**
     * A live filter that answers its best flat colour more than every example picture and its tile is listed once per
     * tile, with that colour and both scores; one whose tile scores as much as that colour, one that does not prefer a
     * flat colour, or a dead one, is not.
     */
    @Test
    void filtersThatPreferAFlatColourToTheirTileAreListedWithTheColourAndBothScores() throws Exception {
        FilterBaselines base = FilterBaselines.of(MODEL, "conv1");
        int f = java.util.stream.IntStream.range(0, 24).filter(base::prefersFlat).findFirst().orElseThrow();
        int g = java.util.stream.IntStream.range(0, 24).filter(k -> !base.prefersFlat(k)).findFirst().orElseThrow();
        int dead = java.util.stream.IntStream.range(0, 24).filter(k -> k != f && base.prefersFlat(k)).findFirst().orElseThrow();
        int own = java.util.stream.IntStream.range(0, 24).filter(k -> k != f && k != dead && base.prefersFlat(k)).findFirst().orElseThrow();
        float[] example = MODEL.examples().pixels()[0];
        List<Integer> filters = List.of(f, g, dead, own);
        GalleryChecks checks = GalleryChecks.check(MODEL, "conv1", filters,
                List.of(example, example, example, flat(base.bestFlatColour()[own])), Set.of(dead));
        assertEquals(List.of(f), checks.prefersFlat(), "filter " + own + "'s tile is its best flat colour");
        int[] colour = base.bestFlatColour()[f];
        String hex = String.format("#%02x%02x%02x", colour[0], colour[1], colour[2]);
        assertEquals(hex, base.hex(f));
        String caption = String.format("%d prefers flat %s, scores %.3f vs tile %.3f", f, hex, base.bestFlat()[f], checks.scores()[0]);
        assertEquals(caption, checks.preference(filters, f));
        assertTrue(checks.lines(filters).contains("prefer a flat colour to every example picture and their tile: 1 of 3 [" + caption + "]"),
                String.join("\n", checks.lines(filters)));
    }
}
