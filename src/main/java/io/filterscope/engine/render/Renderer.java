package io.filterscope.engine.render;

import io.filterscope.Progress;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objective;
import io.filterscope.model.InputSpace;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Runs many objectives to the end, a minibatch at a time (a whole layer's gallery, all classes). */
public final class Renderer {
    private Renderer() {
    }

    /**
     * @param network a network compiled for a given batch size
     * @param chunk   at most this many images per minibatch
     */
    public static List<RenderedImage> render(IntFunction<Network> network, InputSpace space, List<Objective> objectives,
                                             int steps, long seed, RenderParams params, int chunk, Progress progress) {
        List<RenderedImage> images = new ArrayList<>();
        long total = (long) steps * objectives.size();
        for (int from = 0; from < objectives.size(); from += chunk) {
            List<Objective> part = objectives.subList(from, Math.min(objectives.size(), from + chunk));
            AscentRun run = new AscentRun(network.apply(part.size()), part, space, steps, seed, params);
            StepResult last = null;
            while (!run.finished()) {
                last = run.step();
                progress.update((long) from * steps + (long) last.step() * part.size(), total,
                        part.get(0).label() + (part.size() > 1 ? " .. " + part.get(part.size() - 1).label() : ""));
            }
            for (int i = 0; i < part.size(); i++) {
                images.add(new RenderedImage(part.get(i), last.images().get(NDArrayIndex.point(i)).dup(),
                        run.inputImages().get(NDArrayIndex.point(i)).dup(), last.values()[i],
                        run.dead(i)));
            }
        }
        return images;
    }
}
