package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.DeepDreamObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.ExamplePictures;
import io.filterscope.engine.render.RunParts;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A model's example set read through a layer: which pictures a filter likes best (a run's start) and whether it
 * ever fires (what tells a dead filter from one an ascent cannot wake from grey). The fixture's conv1 filter 0
 * adds its 3x3 patch and subtracts a threshold, so it fires only on bright patches (a mid-grey start has none);
 * filter 1 is zero minus 1, so it never fires.
 */
class ExampleActivationsTest {
    private static final List<Objective> BRIGHT_AND_NEVER = List.of(new ChannelObjective("conv1", 0), new ChannelObjective("conv1", 1));

    private static LoadedModel model(Path dir, double threshold) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        FixtureModels.writeLeNet(dir, "tiny", net -> {
            net.getLayer(0).getParam("W").get(NDArrayIndex.point(0)).assign(1);
            net.getLayer(0).getParam("b").putScalar(0, -threshold);
            net.getLayer(0).getParam("W").get(NDArrayIndex.point(1)).assign(0);
            net.getLayer(0).getParam("b").putScalar(1, -1);
        });
        return new ModelStore(dir).load("tiny");
    }

    /** The 3x3 patch sums of a 28 x 28 picture, row by row. */
    private static double[] patchSums(float[] p) {
        double[] sums = new double[26 * 26];
        for (int y = 0; y < 26; y++) {
            for (int x = 0; x < 26; x++) {
                for (int dy = 0; dy < 3; dy++) {
                    for (int dx = 0; dx < 3; dx++) {
                        sums[y * 26 + x] += p[(y + dy) * 28 + x + dx];
                    }
                }
            }
        }
        return sums;
    }

    /** Filter 0's mean activation on a picture, computed here by hand. */
    private static double brightFilterMean(float[] p, double threshold) {
        return Arrays.stream(patchSums(p)).map(s -> Math.max(0, s - threshold)).average().orElseThrow();
    }

    /**
     * The model with filter 0's threshold between the brightest and the second-brightest example patch sums of
     * all pictures', so that it fires on exactly one example picture.
     */
    private static LoadedModel firingOnOnePicture(Path dir) throws Exception {
        LabeledImages pictures = model(dir.resolve("probe"), 0).examples();
        double[] brightest = Arrays.stream(pictures.pixels()).mapToDouble(p -> Arrays.stream(patchSums(p)).max().orElseThrow())
                .sorted().toArray();
        double threshold = (brightest[brightest.length - 1] + brightest[brightest.length - 2]) / 2;
        assertTrue(brightest[brightest.length - 1] - threshold > 1e-3, "a clear margin above the threshold");
        return model(dir.resolve("one"), threshold);
    }

    @Test
    void aFilterFiresIfItRisesOnSomeExampleAndOnlyThen(@TempDir Path dir) throws Exception {
        ExamplePictures examples = firingOnOnePicture(dir).data().examples();
        assertEquals(Boolean.TRUE, examples.fires(BRIGHT_AND_NEVER.get(0)));
        assertEquals(Boolean.FALSE, examples.fires(BRIGHT_AND_NEVER.get(1)));
        assertNull(examples.fires(new DeepDreamObjective("conv1")), "the examples cannot speak for a whole layer");
    }

    @Test
    void aFilterSilentThroughTheRunIsDeadOnlyAtTheEndAndOnlyIfNoExampleWakesIt(@TempDir Path dir) throws Exception {
        LoadedModel model = firingOnOnePicture(dir);
        RunParts parts = Presets.PLAIN.build(Presets.PLAIN.defaults().with(new ObjectMapper().readTree("{\"lr\":0.05}")),
                model.data(), BRIGHT_AND_NEVER);
        AscentRun run = new AscentRun(model.compile(2, 28), BRIGHT_AND_NEVER, parts, 28, 3, 1);
        double[] first = run.step().values();
        assertArrayEquals(new double[] {0, 0}, first, "both filters are silent on the start image");
        assertFalse(run.dead(0) || run.dead(1), "nothing is dead before the run has taken all its steps");
        double[] last = null;
        while (!run.finished()) {
            last = run.step().values();
        }
        assertArrayEquals(new double[] {0, 0}, last, "no gradient through a silent ReLU: neither ever woke");
        assertFalse(run.dead(0), "filter 0 fires on one example picture, so it is not dead");
        assertTrue(run.dead(1), "filter 1 never fires, in the run or on any example");
    }

    @Test
    void startPictureIsTheMeanOfTheExamplesTheFilterLikesBest(@TempDir Path dir) throws Exception {
        double threshold = 6.5;    // some bright patch in every picture, so they rank by how bright
        LoadedModel model = model(dir, threshold);
        LabeledImages pictures = model.examples();
        int k = 3;
        Integer[] order = new Integer[pictures.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -brightFilterMean(pictures.pixels()[i], threshold)));
        float[] expected = new float[28 * 28];
        for (int r = 0; r < k; r++) {
            for (int j = 0; j < expected.length; j++) {
                expected[j] += pictures.pixels()[order[r]][j] / k;
            }
        }
        float[][] means = model.data().examples().topMeans(
                List.of(BRIGHT_AND_NEVER.get(0), new DeepDreamObjective("conv1")), 28, k);
        assertArrayEquals(expected, means[0], 1e-5f);
        assertNull(means[1], "no single filter to rank the pictures by");
        assertNull(model.data().examples().topMeans(BRIGHT_AND_NEVER, 20, k), "pictures of another size cannot start a run");
    }
}
