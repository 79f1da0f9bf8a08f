package io.filterscope.cli;

import io.filterscope.engine.render.StepResult;
import io.filterscope.image.GifFiles;
import io.filterscope.image.Grids;
import io.filterscope.image.Tiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code gallery --animate}: every filter's tile at evenly spaced steps (step 1 and the last always among them),
 * at most {@link #MAX_FRAMES} of them, so memory stays at frames x filters x one tile; then one grid per kept
 * step, as an animated GIF.
 */
final class GalleryAnimation {
    static final int MAX_FRAMES = 32;
    static final int FRAME_MS = 120;

    private final int channels;
    private final int side;
    private final int steps;
    private final int every;
    /** The kept steps, in order, and per kept step one tile per filter. */
    private final List<Integer> kept = new ArrayList<>();
    private final List<BufferedImage[]> tiles = new ArrayList<>();

    GalleryAnimation(int filters, int steps, int channels, int side) {
        this.steps = steps;
        this.channels = channels;
        this.side = side;
        // Steps 1, 1 + every, ... span steps - 1 in at most MAX_FRAMES - 1 strides, the last step added if missed.
        this.every = Math.max(1, (int) Math.ceil((steps - 1) / (double) (MAX_FRAMES - 1)));
        for (int s = 1; s <= steps; s += every) {
            kept.add(s);
            tiles.add(new BufferedImage[filters]);
        }
        if (kept.get(kept.size() - 1) != steps) {
            kept.add(steps);
            tiles.add(new BufferedImage[filters]);
        }
    }

    void stepped(int first, StepResult result) {
        int frame = kept.indexOf(result.step());
        if (frame < 0) {
            return;
        }
        for (int i = 0; i < result.images().count(); i++) {
            tiles.get(frame)[first + i] = Tiles.fromPlanes(result.images().planes()[i], channels, side, side);
        }
    }

    /** Writes the GIF; returns its frame count. */
    int write(List<String> labels, Set<Integer> dead, int columns, int scale, Path gif) throws IOException {
        List<BufferedImage> frames = new ArrayList<>();
        for (int f = 0; f < kept.size(); f++) {
            BufferedImage grid = Grids.grid(Arrays.asList(tiles.get(f)), labels, dead, columns, scale);
            frames.add(Grids.withLegend(grid, List.of("step " + kept.get(f) + " of " + steps)));
        }
        Files.write(gif, GifFiles.animate(frames, FRAME_MS, 0));
        return frames.size();
    }
}
