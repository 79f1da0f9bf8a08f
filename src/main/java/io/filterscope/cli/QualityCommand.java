package io.filterscope.cli;

import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.render.ModelData;
import io.filterscope.engine.render.RenderedImage;
import io.filterscope.image.Grids;
import io.filterscope.image.Tiles;
import io.filterscope.model.LoadedModel;
import io.filterscope.quality.FilterComparison;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quality --model M --layers A,B}: issue 13's comparison of presets on filters ({@link FilterComparison}):
 * for each layer, the same filters rendered by each preset, scored by the filter's activation untransformed
 * and under random shifts, scales and rotations, and by the share of high spatial frequencies; one line per
 * layer and preset, and a PNG of each preset's images.
 */
@Command(name = "quality", mixinStandardHelpOptions = true,
        description = "Compares presets on filters: activation under random transforms and high-frequency share (docs/quality.md).")
final class QualityCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "model id (see: models)")
    String modelId;

    @Option(names = "--layers", required = true, split = ",", paramLabel = "A,B", description = "layers whose filters are compared")
    List<String> layers;

    @Option(names = "--filters", paramLabel = "N", description = "filters per layer, spread evenly over it (default: ${DEFAULT-VALUE})")
    int count = 8;

    @Option(names = "--presets", split = ",", paramLabel = "P,Q",
            description = "presets to compare (default: the filters' default and natural, Lucid's recipe)")
    List<String> presets;

    @Option(names = "--size", paramLabel = "S", description = "image side in pixels (default: the model's own)")
    @Bounds(param = "size")
    Integer size;

    @Option(names = "--steps", paramLabel = "N", description = "ascent steps (default: ${DEFAULT-VALUE})")
    @Bounds(param = "steps")
    int steps = 256;

    @Option(names = "--seed", paramLabel = "K", description = "seeds the start images and the transforms (default: ${DEFAULT-VALUE})")
    @Bounds(param = "seed")
    int seed = Params.SEED.base();

    @Option(names = "--out", paramLabel = "DIR", description = "where each layer's and preset's images go (default: quality/)")
    Path out = Path.of("quality");

    @Mixin
    ModelsDir models;

    @Override
    public Integer call() throws IOException {
        LoadedModel model = models.store().load(modelId);
        int side = Cli.within("quality", Params.SIZE, size == null ? model.height() : size);
        Cli.within("quality", Params.STEPS, steps);
        List<Preset> compared = new ArrayList<>((presets == null ? List.of(Presets.defaultFor("channel").name(), Presets.NATURAL.name())
                : presets).stream().distinct().map(Presets::named).toList());
        // Every layer, its filters and their memory checked before the first line of the table: a mistake is one line, alone.
        Map<LayerInfo, List<Integer>> compare = new LinkedHashMap<>();
        for (String name : layers) {
            LayerInfo layer = model.layer(name);
            int n = Cli.within("quality", "--filters", count, 1, (int) layer.channels());
            List<Integer> filters = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                filters.add((int) (k * layer.channels() / n));
            }
            // FilterComparison renders a layer's filters in one minibatch.
            CommandSupport.checkMemory("quality", model, n, side, List.of(layer.name()), "give a smaller --filters or --size");
            compare.put(layer, filters);
        }
        Files.createDirectories(CommandSupport.directory("quality", out));
        System.out.printf("%s at %d px, %d steps, seed %d; robust: mean over %d draws of %s%n", model.id(), side, steps, seed,
                FilterComparison.SCORE_DRAWS, FilterComparison.SCORE_TRANSFORMS);
        // Without a learned prior at this size data-prior renders as natural (Presets.rendered), and its rows and images say
        // so; beside natural, the same images and scores, so one run of the two, which on a real network at 224 px is hours
        // of CPU.
        ModelData data = model.data().at(side);
        if (compared.contains(Presets.DATA_PRIOR) && data.prior() == null) {
            boolean both = compared.contains(Presets.NATURAL);
            if (both) {
                compared.remove(Presets.DATA_PRIOR);
            }
            System.out.printf("%s has no learned prior at %d px: data-prior is natural there%s%n", model.id(), side,
                    both ? ", rendered once as natural" : "");
        }
        System.out.printf("%-24s %-14s %12s %12s %10s  %s%n", "layer", "preset", "activation", "robust", "high freq", "images");
        for (Map.Entry<LayerInfo, List<Integer>> e : compare.entrySet()) {
            LayerInfo layer = e.getKey();
            List<Integer> filters = e.getValue();
            List<FilterComparison.Row> rows = new ArrayList<>();
            for (Preset preset : compared) {
                Presets.Rendering rendering = Presets.rendered(preset, preset.defaults(), data);
                FilterComparison.Row r = FilterComparison.run(model, layer.name(), filters, rendering.preset(), rendering.settings(), side,
                        steps, seed, ProgressBar.onStandardError());
                rows.add(r);
                Path png = out.resolve(model.id() + "-" + layer.name().replace('/', '_') + "-" + r.preset() + ".png");
                write(model, r, filters, side, png);
                System.out.printf("%-24s %-14s %12.4f %12.4f %9.1f%%  %s%n", r.layer(), r.preset(), r.activation(), r.robust(),
                        100 * r.highFrequency(), png);
            }
            FilterComparison.Row last = rows.get(rows.size() - 1);
            for (FilterComparison.Row r : rows.subList(0, rows.size() - 1)) {
                System.out.printf("%s: %s against %s: robust activation x%.2f, high-frequency share %.1f%% against %.1f%%%n",
                        layer.name(), r.preset(), last.preset(), r.robust() / last.robust(), 100 * r.highFrequency(),
                        100 * last.highFrequency());
            }
        }
        return 0;
    }

    private void write(LoadedModel model, FilterComparison.Row r, List<Integer> filters, int side, Path png) throws IOException {
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < r.images().size(); i++) {
            RenderedImage img = r.images().get(i);
            tiles.add(Tiles.fromPlanes(img.displayPlanes(), model.channels(), side, side));
            labels.add(filters.get(i) + String.format(" (%.3f)", r.perFilter()[i]));
        }
        BufferedImage grid = Grids.withLegend(Grids.grid(tiles, labels, Set.of(), Math.min(4, tiles.size()), Math.max(1, 96 / side)),
                List.of(model.id() + " " + r.layer() + ", preset " + r.preset() + ": " + steps + " steps, seed " + seed,
                        String.format("robust activation %.4f, high-frequency share %.1f%%", r.robust(), 100 * r.highFrequency())));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("layer", r.layer());
        settings.put("filters", filters);
        settings.put("preset", r.preset());
        settings.put("steps", steps);
        settings.put("seed", seed);
        CommandSupport.write(grid, CommandSupport.provenance(List.of("gallery", "--model", model.id(), "--layer", r.layer(),
                "--filters", String.join(",", filters.stream().map(String::valueOf).toList()), "--size", String.valueOf(side),
                "--steps", String.valueOf(steps), "--seed", String.valueOf(seed), "--preset", r.preset(),
                "--columns", String.valueOf(Math.min(4, tiles.size()))), settings), png);
    }
}
