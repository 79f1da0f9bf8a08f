package io.filterscope.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Runs that share a minibatch ({@link BatchedAscent}) get, step by step, exactly the values and images they get
 * alone, whatever the others do: other presets, seeds and steps, joining late, leaving, or changing settings.
 * Exact means bit for bit (the float arrays compared with equals), measured so on this machine's oneDNN build.
 */
class BatchedAscentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelGraph MODEL = Dl4jReader.read(TestNets.small(DataType.FLOAT, 21));
    private static final int SIZE = 12;

    /** A run's recipe, so that it can be made twice: once to run alone, once to run in a batch. */
    private record Recipe(List<Objective> objectives, Preset preset, String params, int steps, long seed) {
        RunParts parts() throws Exception {
            return preset.build(preset.defaults().with(JSON.readTree(params)), InputSpace.UNIT);
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
        assertEquals(alone.images(), batched.images(), what + ": images at step " + alone.step());
    }

    @Test
    void batchedRunsGiveTheSameImagesAsSoloRuns() throws Exception {
        List<Recipe> recipes = List.of(CLASSIC, PLAIN_TWO, ADAM, NATURAL);
        List<AscentRun> solo = new ArrayList<>();
        List<AscentRun> batched = new ArrayList<>();
        Network shared = net(5);
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
                "{\"leakySteps\":4,\"blurEvery\":2,\"lr\":0.2,\"l2Decay\":0.9}")), InputSpace.UNIT);
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
}
