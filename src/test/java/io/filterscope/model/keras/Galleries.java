package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.Progress;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RenderedImage;
import io.filterscope.engine.render.Renderer;
import io.filterscope.image.Grids;
import io.filterscope.image.PngFiles;
import io.filterscope.image.Tiles;
import io.filterscope.model.LoadedModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Renders a few filters of a layer as the gallery command does, checks that pictures formed, and saves them to look at. */
public final class Galleries {
    /** The seed-classic preset without its L2 decay. */
    private static final Settings PARAMS = Presets.SEED_CLASSIC.defaults().with(Params.L2_DECAY, 1.0);

    private Galleries() {
    }

    /**
     * Renders the first {@code count} filters of {@code layer} for {@code steps} steps at the model's size, writes
     * target/galleries/NAME.png and checks that most images moved away from the grey start and none is NaN.
     * Returns the rendering time in seconds.
     */
    public static double renderAndCheck(LoadedModel model, String layer, int count, int steps, String name) throws IOException {
        LayerInfo info = model.layer(layer);
        int n = (int) Math.min(count, info.channels());
        List<Objective> objectives = new ArrayList<>();
        for (int f = 0; f < n; f++) {
            objectives.add(model.objectives().channel(layer, f));
        }
        int size = model.height();
        long started = System.nanoTime();
        List<RenderedImage> images = Renderer.render(model, objectives,
                part -> Presets.SEED_CLASSIC.build(PARAMS, model.inputSpace()), size, steps, 1, n, Progress.NONE);
        double seconds = (System.nanoTime() - started) / 1e9;
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        int formed = 0;
        for (int i = 0; i < images.size(); i++) {
            INDArray display = images.get(i).display();
            assertTrue(Double.isFinite(display.sumNumber().doubleValue()), name + " filter " + i + " has NaN pixels");
            if (display.stdNumber().doubleValue() > 0.01) {
                formed++;
            }
            tiles.add(Tiles.fromPlanes(images.get(i).displayPlanes(), model.channels(), size, size));
            labels.add(String.valueOf(i));
        }
        Path out = Path.of("target", "galleries", name.replaceAll("[^A-Za-z0-9._-]", "_") + ".png");
        Files.createDirectories(out.getParent());
        PngFiles.write(Grids.withLegend(Grids.grid(tiles, labels, Set.of(), n, Math.max(1, 96 / size)),
                List.of(name + " " + layer + ", " + steps + " steps")), Map.of(), out);
        assertTrue(formed * 2 >= n, name + " " + layer + ": only " + formed + " of " + n + " images differ from grey (" + out + ")");
        return seconds;
    }
}
