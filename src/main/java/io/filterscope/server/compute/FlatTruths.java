package io.filterscope.server.compute;

import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.quality.GalleryChecks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Of a finished gallery (several filters of one layer, at the model's own size), the live filters whose image is a
 * flat colour that is their truth ({@link GalleryChecks#flatTruth}), for {@code done}: a linear filter's ideal input
 * is one flat colour (emoji-cnn's conv1, docs/emoji.md), and the page says so under such a tile rather than leave it
 * looking like a failure. Judged as {@code gallery} judges its PNG's tiles: on the images at 8 bits a channel, as the
 * frames carry them.
 */
final class FlatTruths {
    private FlatTruths() {
    }

    /** The filters, or null when the run is not such a gallery. */
    static List<Integer> of(RunRequest request, AscentRun ascent) {
        List<Objective> objectives = request.objectives();
        if (objectives.size() < 2 || request.size() != request.model().height() || request.size() != request.model().width()
                || !(objectives.get(0) instanceof ChannelObjective first)) {
            return null;
        }
        List<Integer> filters = new ArrayList<>();
        for (Objective o : objectives) {
            if (!(o instanceof ChannelObjective c) || !c.layer().equals(first.layer())) {
                return null;
            }
            filters.add(c.filter());
        }
        INDArray shown = ascent.displayImages();
        List<float[]> tiles = new ArrayList<>();
        Set<Integer> dead = new HashSet<>();
        for (int i = 0; i < filters.size(); i++) {
            float[] tile = shown.get(NDArrayIndex.point(i)).dup().data().asFloat();
            for (int j = 0; j < tile.length; j++) {
                tile[j] = Math.round(tile[j] * 255) / 255f;
            }
            tiles.add(tile);
            if (ascent.dead(i)) {
                dead.add(filters.get(i));
            }
        }
        try {
            return GalleryChecks.check(request.model(), first.layer(), filters, tiles, dead).flatTruth();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
