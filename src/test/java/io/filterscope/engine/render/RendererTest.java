package io.filterscope.engine.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.filterscope.Progress;
import io.filterscope.engine.TestNets;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.preset.Presets;
import io.filterscope.model.dl4j.Dl4jReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class RendererTest {
    private static final ModelGraph GRAPH = Dl4jReader.read(TestNets.small(DataType.FLOAT, 21));
    /** A preset with jitter, blur, decay and a leaky start: every kind of part a split could get wrong. */
    private static final RunParts PARTS = Presets.SEED_SMOOTH.build(Presets.SEED_SMOOTH.defaults(), InputSpace.UNIT);

    /** Compiles a network at each borrow and records which are lent at once. */
    private static final class Lender implements Renderer.Networks {
        final Set<Network> lent = Collections.newSetFromMap(new IdentityHashMap<>());
        /** The threads networks were borrowed (so compiled) on. */
        final Set<String> compilers = new java.util.TreeSet<>();
        int mostAtOnce;

        @Override
        public synchronized Network borrow(int batch, int size) {
            Network net = GRAPH.compile(DataType.FLOAT, batch, new long[] {1, size, size});
            compilers.add(Thread.currentThread().getName());
            lent.add(net);
            mostAtOnce = Math.max(mostAtOnce, lent.size());
            return net;
        }

        @Override
        public synchronized void release(Network net) {
            lent.remove(net);
        }
    }

    private static List<RenderedImage> render(Lender lender, List<Objective> objectives, int chunk, int threads, List<Integer> firsts) {
        return Renderer.render(lender, objectives, part -> PARTS, 12, 6, 7, chunk, threads, Progress.NONE,
                (first, result) -> firsts.add(first));
    }

    private static List<Objective> filters(int... channels) {
        return Arrays.stream(channels).<Objective>mapToObj(c -> new ChannelObjective("c3", c)).toList();
    }

    @Test
    void aMinibatchSplitOverThreadsRendersTheImagesOfOneBatchBitForBit() {
        List<Objective> objectives = filters(0, 1, 2, 3, 4);
        List<RenderedImage> whole = render(new Lender(), objectives, 5, 1, new ArrayList<>());
        Lender lender = new Lender();
        List<Integer> firsts = new ArrayList<>();
        List<RenderedImage> split = render(lender, objectives, 5, 2, firsts);
        assertEquals(5, split.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(objectives.get(i), split.get(i).objective());
            assertArrayEquals(whole.get(i).displayPlanes(), split.get(i).displayPlanes(), "image " + i);
            assertEquals(whole.get(i).value(), split.get(i).value(), "image " + i);
        }
        assertEquals(2, lender.mostAtOnce, "each part steps on a network of its own");
        assertEquals(Set.of("filterscope-step-0", "filterscope-step-1"), lender.compilers,
                "each part's network compiled on the thread that steps it, for that thread's cores");
        assertEquals(Set.of(), lender.lent, "every network given back");
        // Two parts a step (images 0-1 and 2-4), six steps, in order.
        assertEquals(List.of(0, 2, 0, 2, 0, 2, 0, 2, 0, 2, 0, 2), firsts);
    }

    @Test
    void fourierImagesAreTheSameWhateverTheMinibatch() {
        RunParts natural = Presets.NATURAL.build(Presets.NATURAL.defaults(), InputSpace.UNIT);
        List<Objective> objectives = filters(0, 1, 2, 3, 4);
        List<RenderedImage> whole = Renderer.render(new Lender(), objectives, part -> natural, 12, 12, 7, 5, 1, Progress.NONE, (f, r) -> { });
        List<RenderedImage> alone = Renderer.render(new Lender(), objectives, part -> natural, 12, 12, 7, 1, 1, Progress.NONE, (f, r) -> { });
        for (int i = 0; i < objectives.size(); i++) {
            assertArrayEquals(alone.get(i).displayPlanes(), whole.get(i).displayPlanes(), "image " + i);
        }
    }

    @Test
    void aMinibatchOfOneImageStepsOnAPartsShareOfTheCores() {
        Lender lender = new Lender();
        render(lender, filters(3), 1, 2, new ArrayList<>());
        assertEquals(Set.of("filterscope-step-0"), lender.compilers, "not on the caller's every core");
    }

    @Test
    void imagesPushedApartByDiversityStepInOneBatchWhateverTheCores() {
        RunParts diverse = new RunParts(PARTS.parameterization(), PARTS.optimizer(), PARTS.transforms(), PARTS.regularizers(),
                new io.filterscope.engine.objective.Diversity("c3").times(-100), PARTS.leak());
        List<Objective> copies = filters(2, 2, 2, 2);
        List<RenderedImage> one = Renderer.render(new Lender(), copies, part -> diverse, 12, 6, 7, 4, 1, Progress.NONE, (f, r) -> { });
        Lender lender = new Lender();
        List<RenderedImage> two = Renderer.render(lender, copies, part -> diverse, 12, 6, 7, 4, 2, Progress.NONE, (f, r) -> { });
        for (int i = 0; i < copies.size(); i++) {
            assertArrayEquals(one.get(i).displayPlanes(), two.get(i).displayPlanes(), "image " + i);
        }
        assertEquals(1, lender.mostAtOnce, "one network: the four copies in one batch");
    }

    @Test
    void chunksSplitOverThreadsRenderTheSameImagesAsOneMinibatch() {
        List<Objective> objectives = filters(5, 1, 3, 0, 2, 4, 1);
        List<RenderedImage> whole = render(new Lender(), objectives, 7, 1, new ArrayList<>());
        List<RenderedImage> chunked = render(new Lender(), objectives, 3, 2, new ArrayList<>());
        for (int i = 0; i < objectives.size(); i++) {
            assertArrayEquals(whole.get(i).displayPlanes(), chunked.get(i).displayPlanes(), "image " + i);
        }
    }

    @Test
    void copiesOfOneFilterInDifferentPartsStillStartFromNoiseOfTheirOwn() {
        List<RenderedImage> split = render(new Lender(), filters(2, 2), 2, 2, new ArrayList<>());
        List<RenderedImage> whole = render(new Lender(), filters(2, 2), 2, 1, new ArrayList<>());
        assertFalse(Arrays.equals(split.get(0).displayPlanes(), split.get(1).displayPlanes()));
        assertArrayEquals(whole.get(1).displayPlanes(), split.get(1).displayPlanes());
    }
}
