package io.filterscope.engine.render;

import io.filterscope.Progress;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Runs many objectives to the end, a minibatch at a time (a whole layer's gallery, all classes). */
public final class Renderer {
    private Renderer() {
    }

    /** Networks by batch size and input size (square, in pixels). */
    @FunctionalInterface
    public interface Networks {
        Network get(int batch, int size);
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

    /** {@link #render(Networks, List, Function, int, int, long, int, Progress)}, telling {@code each} of every step. */
    public static List<RenderedImage> render(Networks networks, List<Objective> objectives, Function<List<Objective>, RunParts> parts,
                                             int size, int steps, long seed, int chunk, Progress progress, Steps each) {
        List<RenderedImage> images = new ArrayList<>();
        long total = (long) steps * objectives.size();
        for (int from = 0; from < objectives.size(); from += chunk) {
            List<Objective> part = objectives.subList(from, Math.min(objectives.size(), from + chunk));
            RunParts partParts = parts.apply(part);
            AscentRun run = new AscentRun(networks.get(part.size(), partParts.inputSize(size)), part, partParts, size, steps, seed);
            StepResult last = null;
            while (!run.finished()) {
                last = run.step();
                each.stepped(from, last);
                progress.update((long) from * steps + (long) last.step() * part.size(), total,
                        part.get(0).label() + (part.size() > 1 ? " .. " + part.get(part.size() - 1).label() : ""));
            }
            for (int i = 0; i < part.size(); i++) {
                images.add(new RenderedImage(part.get(i), last.images().image(i),
                        run.inputImages().get(NDArrayIndex.point(i)).dup(), last.values()[i],
                        run.dead(i)));
            }
        }
        return images;
    }
}
