package io.filterscope.server.compute;

import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.HostImages;
import io.filterscope.model.LoadedModel;
import io.filterscope.quality.GalleryChecks;
import io.filterscope.server.protocol.ServerEvent.Done.FlatPreference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code done} says of a finished gallery (several filters of one layer, at the model's own size) beyond its
 * images: the live filters whose image is a flat colour that is their truth ({@link GalleryChecks#flatTruth}, which
 * presets without a contrast floor give: seed-classic's conv1 tiles of emoji-cnn), and those that answer a flat colour
 * more than every example picture ({@link GalleryChecks#prefersFlat}: a linear filter's ideal input is one flat colour,
 * emoji-cnn's conv1, docs/emoji.md), which the page shows beside the tile, a picture like the data, with both scores.
 * Judged as {@code gallery} judges its PNG's tiles: on the images at 8 bits a channel, as the frames carry them; the
 * tiles are copied off the run under the worker's lock ({@link Tiles#of}) and judged outside it ({@link Tiles#judge}).
 *
 * @param flat        the filters whose flat image is their truth
 * @param prefersFlat the filters that prefer a flat colour to every example picture and their image, with it and the two scores
 */
record TileVerdicts(List<Integer> flat, List<FlatPreference> prefersFlat) {

    /**
     * A finished gallery's tiles as shown, copied off its run under the worker's lock (a few small arrays) so that they
     * are judged ({@link #judge}: a forward pass of the tiles and {@link GalleryChecks}) outside it, while the other
     * compute threads step.
     *
     * @param model   the run's model
     * @param layer   the layer of its filters
     * @param filters its filters, one per tile, in gallery order
     * @param tiles   display values at 8 bits a channel, in [0, 1], planar {@code c*h*w}
     * @param dead    the filters its run reported dead
     */
    record Tiles(LoadedModel model, String layer, List<Integer> filters, List<float[]> tiles, Set<Integer> dead) {

        /** The tiles of the run of {@code request}, or null when the run is not such a gallery. */
        static Tiles of(RunRequest request, AscentRun ascent) {
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
            HostImages shown = ascent.displayImages();
            List<float[]> tiles = new ArrayList<>();
            Set<Integer> dead = new HashSet<>();
            for (int i = 0; i < filters.size(); i++) {
                float[] tile = shown.planes()[i].clone();
                for (int j = 0; j < tile.length; j++) {
                    tile[j] = Math.round(tile[j] * 255) / 255f;
                }
                tiles.add(tile);
                if (ascent.dead(i)) {
                    dead.add(filters.get(i));
                }
            }
            return new Tiles(request.model(), first.layer(), filters, tiles, dead);
        }

        /** The verdicts on these tiles. */
        TileVerdicts judge() {
            GalleryChecks checks;
            try {
                checks = GalleryChecks.check(model, layer, filters, tiles, dead);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<FlatPreference> prefers = new ArrayList<>();
            for (int f : checks.prefersFlat()) {
                prefers.add(new FlatPreference(f, checks.baselines().hex(f), checks.baselines().bestFlat()[f],
                        checks.scores()[filters.indexOf(f)]));
            }
            return new TileVerdicts(checks.flatTruth(), prefers);
        }
    }
}
