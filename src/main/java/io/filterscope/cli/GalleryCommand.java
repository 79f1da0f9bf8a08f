package io.filterscope.cli;

import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Preset;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code gallery --model M --layer L}: what every filter of a layer responds to, as one grid PNG. */
final class GalleryCommand {
    private GalleryCommand() {
    }

    static int run(String[] args) throws IOException {
        Flags flags = Flags.parse("gallery", args,
                Set.of("model", "layer", "filters", "size", "steps", "seed", "preset", "params", "out", "models", "batch", "columns"),
                Set.of());
        LoadedModel model = CommandSupport.model(flags);
        String layerName = flags.required("layer");
        LayerInfo layer = model.layer(layerName);
        List<Integer> filters = CommandSupport.filters(flags.string("filters", "0-" + (layer.channels() - 1)),
                layer.channels(), layer.name());
        int size = flags.integer("size", model.height(), 8, 1024);
        int steps = flags.integer("steps", 64, 1, 100_000);
        long seed = flags.longValue("seed", 1);
        Preset preset = CommandSupport.preset(flags, Presets.defaultFor("channel"));
        Settings params = CommandSupport.params(flags, preset);
        // About a million pixels per minibatch: all filters of a 28 px model at once, 64 at 128 px.
        int batch = flags.integer("batch", (int) Math.max(1, Math.min(filters.size(), 1_048_576L / ((long) size * size))), 1, 4096);
        int columns = flags.integer("columns", (int) Math.ceil(Math.sqrt(filters.size())), 1, 4096);
        Path out = flags.path("out", model.id() + "-" + layer.name() + ".png");

        List<Objective> objectives = new ArrayList<>();
        for (int f : filters) {
            objectives.add(model.objectives().channel(layer.name(), f));
        }
        long started = System.nanoTime();
        List<RenderedImage> images = Renderer.render(model::cached, objectives, preset.build(params, model.inputSpace()),
                size, steps, seed, batch, new ProgressBar(System.err));
        double seconds = (System.nanoTime() - started) / 1e9;

        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        Set<Integer> dead = new LinkedHashSet<>();
        List<Integer> deadFilters = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            RenderedImage img = images.get(i);
            tiles.add(Tiles.fromPlanes(img.displayPlanes(), model.channels(), size, size));
            labels.add(String.valueOf(filters.get(i)));
            if (img.dead()) {
                dead.add(i);
                deadFilters.add(filters.get(i));
            }
        }
        int scale = Math.max(1, 96 / size);
        BufferedImage grid = Grids.withLegend(Grids.grid(tiles, labels, dead, columns, scale), List.of(
                model.id() + " " + layer.name() + ": " + filters.size() + " filters, " + steps + " steps, seed " + seed,
                deadFilters.isEmpty() ? "no dead filters" : "dead (never fired): " + deadFilters));

        List<String> command = new ArrayList<>(List.of("gallery", "--model", model.id(), "--layer", layer.name(),
                "--filters", flags.string("filters", "0-" + (layer.channels() - 1)), "--size", String.valueOf(size),
                "--steps", String.valueOf(steps), "--seed", String.valueOf(seed), "--preset", preset.name(),
                "--params", params.toJson().toString()));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("layer", layer.name());
        settings.put("filters", filters);
        settings.put("seed", seed);
        settings.put("steps", steps);
        settings.put("size", size);
        settings.put("preset", preset.name());
        settings.put("params", params.toJson());
        settings.put("dead", deadFilters);
        PngFiles.write(grid, CommandSupport.provenance(command, settings), out);
        System.out.printf("%s: %d filters of %s in %.1f s (%.1f ms per step of %d images)%n", out, filters.size(),
                layer.name(), seconds, seconds * 1000 / (steps * Math.ceil(filters.size() / (double) batch)), batch);
        System.out.println(deadFilters.isEmpty() ? "dead filters: none" : "dead filters: " + deadFilters);
        return 0;
    }
}
