package io.filterscope.engine.render;

import io.filterscope.Progress;
import io.filterscope.engine.Backend;
import io.filterscope.engine.CoreThreads;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objective;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Runs many objectives to the end, a minibatch at a time (a whole layer's gallery, all classes), each minibatch split
 * over the cores ({@link CoreThreads}) unless its images' values depend on each other ({@link Objective#joinsImages}:
 * diversity, which then pushes apart the images of each minibatch). An image comes out the same whatever the minibatch
 * and the split.
 */
public final class Renderer {
    private Renderer() {
    }

    /** Networks by batch size and input size (square, in pixels), one for each part of a minibatch stepping at once. */
    public interface Networks {
        /** A network no other part uses until it is {@link #release released}. */
        Network borrow(int batch, int size);

        /** Gives back what {@link #borrow} gave. */
        void release(Network net);
    }

    /** Sees every step of every minibatch: an animation's frames. */
    @FunctionalInterface
    public interface Steps {
        /** @param first the index (in the objectives) of the minibatch's first image */
        void stepped(int first, StepResult result);
    }

    /**
     * @param parts the parts of a minibatch's objectives (a preset's build: some parts hold a value per image, as
     *              the contrast floor of a gallery's filters)
     * @param size  the images' side in pixels; the network is asked for {@code parts.inputSize(size)}
     * @param chunk at most this many images per minibatch
     */
    public static List<RenderedImage> render(Networks networks, List<Objective> objectives, Function<List<Objective>, RunParts> parts,
                                             int size, int steps, long seed, int chunk, Progress progress) {
        return render(networks, objectives, parts, size, steps, seed, chunk, progress, (first, result) -> { });
    }

    /**
     * {@link #render(Networks, List, Function, int, int, long, int, Progress)}, telling {@code each} of every step, on the
     * calling thread: of each part of a minibatch that steps on its own cores, in order.
     */
    public static List<RenderedImage> render(Networks networks, List<Objective> objectives, Function<List<Objective>, RunParts> parts,
                                             int size, int steps, long seed, int chunk, Progress progress, Steps each) {
        return render(networks, objectives, parts, size, steps, seed, chunk, Backend.stepThreads(), progress, each);
    }

    /** {@link #render(Networks, List, Function, int, int, long, int, Progress, Steps)} over {@code threads} threads. */
    static List<RenderedImage> render(Networks networks, List<Objective> objectives, Function<List<Objective>, RunParts> parts,
                                      int size, int steps, long seed, int chunk, int threads, Progress progress, Steps each) {
        List<RenderedImage> images = new ArrayList<>();
        long total = (long) steps * objectives.size();
        long[] seeds = AscentRun.imageSeeds(objectives, seed);
        // Images whose values depend on each other (diversity) step as one minibatch, on every core. Any other part steps
        // on its thread's share of the cores, even a minibatch of one image: some ops sum in another order on more
        // threads, and an image must come out the same whatever the minibatch.
        Objective penalty = objectives.isEmpty() ? null : parts.apply(objectives.subList(0, Math.min(chunk, objectives.size()))).penalty();
        boolean joined = objectives.stream().anyMatch(Objective::joinsImages) || penalty != null && penalty.joinsImages();
        try (CoreThreads cores = new CoreThreads(joined ? 1 : Math.max(1, threads))) {
            for (int from = 0; from < objectives.size(); from += chunk) {
                int to = Math.min(objectives.size(), from + chunk);
                int split = Math.min(cores.size(), to - from);
                List<Integer> firsts = new ArrayList<>();
                Network[] borrowed = new Network[split];
                try {
                    // Each part is made (its network too: a network's convolutions take the threads of the thread that
                    // compiles it), stepped and read on its own thread: its arrays stay with that thread's workspaces.
                    List<Supplier<AscentRun>> make = new ArrayList<>();
                    for (int j = 0; j < split; j++) {
                        int first = from + CoreThreads.partStart(to - from, split, j);
                        int last = from + CoreThreads.partStart(to - from, split, j + 1);
                        List<Objective> part = objectives.subList(first, last);
                        RunParts partParts = parts.apply(part);
                        firsts.add(first);
                        int slot = j;
                        make.add(() -> {
                            borrowed[slot] = networks.borrow(part.size(), partParts.inputSize(size));
                            return new AscentRun(borrowed[slot], part, partParts, size, steps, seed, Arrays.copyOfRange(seeds, first, last));
                        });
                    }
                    List<AscentRun> runs = cores.each(make);
                    List<Supplier<StepResult>> step = runs.stream().<Supplier<StepResult>>map(run -> run::step).toList();
                    List<StepResult> results = null;
                    while (!runs.get(0).finished()) {
                        results = cores.each(step);
                        for (int j = 0; j < split; j++) {
                            each.stepped(firsts.get(j), results.get(j));
                        }
                        progress.update((long) from * steps + (long) results.get(0).step() * (to - from), total,
                                objectives.get(from).label() + (to - from > 1 ? " .. " + objectives.get(to - 1).label() : ""));
                    }
                    List<StepResult> ends = results;
                    List<Supplier<List<RenderedImage>>> read = new ArrayList<>();
                    for (int j = 0; j < split; j++) {
                        AscentRun run = runs.get(j);
                        StepResult end = ends.get(j);
                        read.add(() -> rendered(run, end));
                    }
                    cores.each(read).forEach(images::addAll);
                } finally {
                    Arrays.stream(borrowed).filter(Objects::nonNull).forEach(networks::release);
                }
            }
        }
        return images;
    }

    /** A finished run's images: each as shown at its last step, its input image, its objective's last value. */
    private static List<RenderedImage> rendered(AscentRun run, StepResult last) {
        List<RenderedImage> images = new ArrayList<>();
        for (int i = 0; i < run.images(); i++) {
            images.add(new RenderedImage(run.objectives().get(i), last.images().image(i),
                    run.inputImages().get(NDArrayIndex.point(i)).dup(), last.values()[i], run.dead(i)));
        }
        return images;
    }
}
