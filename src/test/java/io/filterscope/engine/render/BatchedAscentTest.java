package io.filterscope.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.ImagePrior;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs that share a minibatch ({@link BatchedAscent}) get, step by step, exactly the values and images they get
 * alone, whatever the others do: other presets, seeds and steps, joining late, leaving, or changing settings; and
 * runs whose parts agree update as rows of one block ({@link SharedRows}) with their own rates and step counts.
 * Exact means bit for bit (the images' float values compared as arrays), measured so on this machine's oneDNN build.
 */
class BatchedAscentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelGraph MODEL = Dl4jReader.read(TestNets.small(DataType.FLOAT, 21));
    private static final int SIZE = 12;
    /** A learned prior of the small network's 1x12x12 pictures, 8 components, so that data-prior runs can be made. */
    private static final ModelData DATA = new ModelData(InputSpace.UNIT, prior(), null, null, null, layer -> true, layer -> false, o -> false);

    private static ImagePrior prior() {
        Nd4j.getRandom().setSeed(9);
        return new ImagePrior("test.prior", 1, SIZE, SIZE, Nd4j.randn(DataType.FLOAT, SIZE * SIZE).muli(0.3),
                Nd4j.randn(DataType.FLOAT, 8, SIZE * SIZE).muli(0.5));
    }

    /** A run's recipe, so that it can be made twice: once to run alone, once to run in a batch. */
    private record Recipe(List<Objective> objectives, Preset preset, String params, int steps, long seed) {
        RunParts parts() throws Exception {
            return preset.build(preset.defaults().with(JSON.readTree(params)), DATA, objectives);
        }

        AscentRun make(Network net) throws Exception {
            return new AscentRun(net, objectives, parts(), SIZE, steps, seed);
        }

        AscentRun alone() throws Exception {
            return make(net(objectives.size()));
        }
    }

    private static Network net(int batch) {
        return MODEL.compile(DataType.FLOAT, batch, new long[] {1, SIZE, SIZE});
    }

    private static final Recipe CLASSIC = new Recipe(List.of(new ChannelObjective("c3", 1)), Presets.SEED_CLASSIC,
            "{\"leakySteps\":4,\"blurEvery\":2}", 12, 7);
    private static final Recipe PLAIN_TWO = new Recipe(List.of(new ChannelObjective("c3", 4), new ChannelObjective("c3", 2)),
            Presets.PLAIN, "{\"jitter\":1,\"tv\":0.1}", 12, 3);
    /** Lucid's recipe without its pad (which would change the network's input size): Fourier image, scale and rotation. */
    private static final Recipe NATURAL = new Recipe(List.of(new ChannelObjective("c3", 3)), Presets.NATURAL,
            "{\"pad\":0,\"jitter\":2,\"leakySteps\":4}", 12, 5);
    private static final Recipe ADAM = new Recipe(List.of(new ChannelObjective("c3", 0)), Presets.PLAIN,
            "{\"optimizer\":\"adam\",\"lr\":0.05,\"l2Decay\":0.99,\"leakyRelu\":0.2,\"leakySteps\":6}", 12, 11);

    /** The default preset: codes of the prior, Adam, a jitter warp, a leaky start. */
    private static final Recipe PRIOR = new Recipe(List.of(new ChannelObjective("c3", 1)), Presets.DATA_PRIOR,
            "{\"leakySteps\":4}", 12, 13);
    /** Of the same kind as {@link #PRIOR}, with two images and another rate and schedule: rows of the same block. */
    private static final Recipe PRIOR_SLOW = new Recipe(List.of(new ChannelObjective("c3", 4), new ChannelObjective("c3", 2)),
            Presets.DATA_PRIOR, "{\"lr\":0.02,\"lrDecay\":0.1,\"jitter\":1}", 12, 14);
    /** Of the same kind as {@link #PLAIN_TWO}, with another rate and seed. */
    private static final Recipe PLAIN_FAST = new Recipe(List.of(new ChannelObjective("c3", 5)), Presets.PLAIN,
            "{\"lr\":0.3}", 12, 15);

    /** Steps the runs together on a network of their images, rows in the order given. */
    private static List<StepResult> together(List<AscentRun> runs) {
        List<BatchedAscent.Placed> placed = new ArrayList<>();
        int row = 0;
        for (AscentRun r : runs) {
            placed.add(new BatchedAscent.Placed(r, row));
            row += r.images();
        }
        List<StepResult> results = new ArrayList<>();
        for (BatchedAscent.Outcome o : BatchedAscent.step(net(row), placed)) {
            assertNull(o.failure());
            results.add(o.result());
        }
        return results;
    }

    private static void assertSame(StepResult alone, StepResult batched, String what) {
        assertEquals(alone.step(), batched.step(), what);
        assertArrayEquals(alone.values(), batched.values(), what + ": values at step " + alone.step());
        assertEquals(alone.images().count(), batched.images().count(), what);
        for (int i = 0; i < alone.images().count(); i++) {
            assertArrayEquals(alone.images().planes()[i], batched.images().planes()[i], what + ": image " + i + " at step " + alone.step());
        }
    }

    @Test
    void batchedRunsGiveTheSameImagesAsSoloRuns() throws Exception {
        List<Recipe> recipes = List.of(CLASSIC, PLAIN_TWO, ADAM, NATURAL, PRIOR, PRIOR_SLOW, PLAIN_FAST);
        List<AscentRun> solo = new ArrayList<>();
        List<AscentRun> batched = new ArrayList<>();
        Network shared = net(9);
        for (Recipe r : recipes) {
            solo.add(r.alone());
            batched.add(r.make(shared));
        }
        for (int step = 0; step < 12; step++) {
            List<StepResult> results = together(batched);
            for (int i = 0; i < recipes.size(); i++) {
                assertSame(solo.get(i).step(), results.get(i), "run " + i);
            }
        }
    }

    @Test
    void aRunJoiningAndLeavingMidwayGetsTheImagesItGetsAlone() throws Exception {
        AscentRun first = CLASSIC.make(net(1));
        AscentRun firstAlone = CLASSIC.alone();
        for (int step = 0; step < 3; step++) {
            assertSame(firstAlone.step(), together(List.of(first)).get(0), "first, alone");
        }
        // The second joins at its step 0 while the first is at step 3: their leaky starts differ.
        AscentRun second = ADAM.make(net(1));
        AscentRun secondAlone = ADAM.alone();
        for (int step = 0; step < 5; step++) {
            List<StepResult> both = together(List.of(second, first));
            assertSame(secondAlone.step(), both.get(0), "second, joined");
            assertSame(firstAlone.step(), both.get(1), "first, joined");
        }
        // The second leaves (stopped); the first goes on alone.
        while (!first.finished()) {
            assertSame(firstAlone.step(), together(List.of(first)).get(0), "first, after the second left");
        }
    }

    @Test
    void anUpdateAppliesToOneRunOnly() throws Exception {
        AscentRun changed = CLASSIC.make(net(1));
        AscentRun changedAlone = CLASSIC.alone();
        AscentRun other = PLAIN_TWO.make(net(1));
        AscentRun otherAlone = PLAIN_TWO.alone();
        RunParts faster = CLASSIC.preset().build(CLASSIC.preset().defaults().with(JSON.readTree(
                "{\"leakySteps\":4,\"blurEvery\":2,\"lr\":0.2,\"l2Decay\":0.9}")), DATA, CLASSIC.objectives());
        for (int step = 0; step < 10; step++) {
            if (step == 4) {
                changed.update(faster);
                changedAlone.update(faster);
            }
            List<StepResult> both = together(List.of(changed, other));
            assertSame(changedAlone.step(), both.get(0), "the updated run");
            assertSame(otherAlone.step(), both.get(1), "the other run");
        }
    }

    @Test
    void aRunThatDoesNotStepLeavesTheOthersAsTheyAreAlone() throws Exception {
        // A paced run that is not due keeps its rows but does not step; the others are unaffected.
        Network shared = net(3);
        AscentRun stepping = CLASSIC.make(shared);
        AscentRun stepsAlone = CLASSIC.alone();
        AscentRun resting = PLAIN_TWO.make(shared);
        for (int step = 0; step < 4; step++) {
            List<BatchedAscent.Outcome> outcomes = BatchedAscent.step(shared, List.of(new BatchedAscent.Placed(stepping, 2)));
            assertNotNull(outcomes.get(0).result());
            assertSame(stepsAlone.step(), outcomes.get(0).result(), "the run that steps");
        }
        assertEquals(0, resting.stepsDone());
    }

    @Test
    void runsOfOneKindShareABlockWithTheirOwnRatesAndStepCounts() throws Exception {
        AscentRun first = PRIOR.make(net(1));
        AscentRun firstAlone = PRIOR.alone();
        AscentRun plain = PLAIN_TWO.make(net(1));
        AscentRun plainAlone = PLAIN_TWO.alone();
        for (int step = 0; step < 3; step++) {
            List<StepResult> both = together(List.of(first, plain));
            assertSame(firstAlone.step(), both.get(0), "first, before the second joins");
            assertSame(plainAlone.step(), both.get(1), "a run of another kind");
            assertTrue(first.rows != plain.rows, "runs of other kinds share no block");
        }
        // The second joins at its step 0 while the first is at step 3: Adam's bias corrections and the rates differ per row.
        AscentRun second = PRIOR_SLOW.make(net(1));
        AscentRun secondAlone = PRIOR_SLOW.alone();
        AscentRun fast = PLAIN_FAST.make(net(1));
        AscentRun fastAlone = PLAIN_FAST.alone();
        for (int step = 0; step < 5; step++) {
            List<StepResult> all = together(List.of(plain, second, fast, first));
            assertSame(plainAlone.step(), all.get(0), "plain, joined");
            assertSame(secondAlone.step(), all.get(1), "second, joined");
            assertSame(fastAlone.step(), all.get(2), "fast plain, joined");
            assertSame(firstAlone.step(), all.get(3), "first, joined");
            assertTrue(first.rows != null && first.rows == second.rows, "data-prior runs share one block");
            assertTrue(plain.rows != null && plain.rows == fast.rows, "plain runs share one block");
        }
        // Asking a run in a block for its images gives it back its own state (the block held it five steps).
        assertArrayEquals(firstAlone.displayImages().array().data().asFloat(), first.displayImages().array().data().asFloat(), "images asked for");
        assertTrue(first.rows == null);
        // The first rests a step (a paced run not due), then the second leaves; each goes on as it does alone.
        assertSame(secondAlone.step(), together(List.of(second)).get(0), "second, while the first rests");
        while (!first.finished()) {
            assertSame(firstAlone.step(), together(List.of(first, plain)).get(0), "first, after the second left");
        }
    }

    @Test
    void aRunChangingItsSettingsMidRunMovesBetweenBlocksAsItDoesAlone() throws Exception {
        AscentRun changed = PRIOR.make(net(1));
        AscentRun changedAlone = PRIOR.alone();
        AscentRun other = PRIOR_SLOW.make(net(1));
        AscentRun otherAlone = PRIOR_SLOW.alone();
        List<String> updates = List.of(
                "{\"leakySteps\":4,\"lr\":0.2}",                       // another rate: the same block
                "{\"leakySteps\":4,\"lr\":0.2,\"l2Decay\":0.9}",      // a regularizer: a block of its own
                "{\"leakySteps\":4,\"optimizer\":\"ascent\"}");       // another optimizer: a block of its own
        for (int step = 0; step < 12; step++) {
            if (step % 3 == 2) {
                RunParts next = PRIOR.preset().build(PRIOR.preset().defaults().with(JSON.readTree(updates.get(step / 3 % 3))), DATA,
                        PRIOR.objectives());
                changed.update(next);
                changedAlone.update(next);
            }
            List<StepResult> both = together(List.of(changed, other));
            assertSame(changedAlone.step(), both.get(0), "the updated run");
            assertSame(otherAlone.step(), both.get(1), "the other run");
            assertEquals(step < 5 || step == 11, changed.rows == other.rows, "sharing a block at step " + step);
        }
    }
}
