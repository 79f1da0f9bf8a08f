package io.filterscope.cli;

import static io.filterscope.cli.CommandSupport.count;

import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RenderedImage;
import io.filterscope.engine.render.Renderer;
import io.filterscope.image.Grids;
import io.filterscope.image.ImageInput;
import io.filterscope.image.Tiles;
import io.filterscope.model.LoadedModel;
import io.filterscope.quality.GalleryChecks;
import io.filterscope.quality.GalleryLegend;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code gallery --model M --layer L}: what every filter of a layer responds to, as one grid image. */
@Command(name = "gallery", mixinStandardHelpOptions = true,
        description = "Renders filters of a layer, in minibatches, into one grid image (a PNG keeps its settings for rerun).")
final class GalleryCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "model id (see: models)")
    String modelId;

    @Option(names = "--layer", required = true, paramLabel = "L", description = "layer name")
    String layerName;

    @Option(names = "--filters", paramLabel = "LIST", description = "filters to render, e.g. 0-63 or 1,4,9-12 (default: all)")
    String filterSpec;

    @Option(names = "--size", paramLabel = "S", description = "image side in pixels (default: the model's own)")
    @Bounds(param = "size")
    Integer size;

    @Option(names = "--steps", paramLabel = "N", description = "ascent steps (default: ${DEFAULT-VALUE})")
    @Bounds(param = "steps")
    int steps = Params.GALLERY_STEPS;

    @Option(names = "--batch", paramLabel = "B", description = "images per minibatch, which steps split over the cores unless diversity joins its images (default: about a million pixels' worth)")
    @Bounds(min = 1, max = 4096)
    Integer batch;

    @Option(names = "--columns", paramLabel = "C", description = "grid columns (default: a square grid)")
    @Bounds(min = 1, max = 4096)
    Integer columns;

    @Option(names = "--out", paramLabel = "F.png", description = "output image, .png or .jpg (default: MODEL-LAYER.png)")
    Path out;

    @Option(names = "--animate", description = "also write the gallery forming step by step as an animated GIF beside --out "
            + "(at most " + GalleryAnimation.MAX_FRAMES + " frames)")
    boolean animate;

    @Mixin
    RenderOptions render;

    @Mixin
    ModelsDir models;

    @Override
    public Integer call() throws IOException {
        LoadedModel model = models.store().load(modelId);
        LayerInfo layer = model.layer(layerName);
        String spec = filterSpec == null ? "0-" + (layer.channels() - 1) : filterSpec;
        List<Integer> filters = CommandSupport.filters(spec, layer.channels(), layer.name());
        int side = Cli.within("gallery", Params.SIZE, size == null ? model.height() : size);
        Cli.within("gallery", Params.STEPS, steps);
        Presets.Rendering rendering = render.rendering("channel", model.data().at(side));
        Preset preset = rendering.preset();
        Settings params = rendering.settings();
        // About a million pixels per minibatch: all filters of a 28 px model at once, 64 at 128 px.
        int chunk = Cli.within("gallery", this, "--batch", batch != null ? batch
                : (int) Math.max(1, Math.min(filters.size(), 1_048_576L / ((long) side * side))));
        int cols = Cli.within("gallery", this, "--columns", columns != null ? columns : (int) Math.ceil(Math.sqrt(filters.size())));
        List<Objective> objectives = new ArrayList<>();
        for (int f : filters) {
            objectives.add(model.objectives().channel(layer.name(), f));
        }
        // A layer with no map at this size (with the preset's pad) is refused as a run's start is, naming the smallest
        // size it takes, before anything is allocated for the render.
        int input = preset.build(params, model.data().at(side), objectives.subList(0, 1)).inputSize(side);
        model.requireMap(layer.name(), input, input - side, (int) Params.SIZE.max());
        CommandSupport.checkMemory("gallery", model, Math.min(chunk, filters.size()), side, List.of(layer.name()),
                "give a smaller --batch or --size");
        Path file = CommandSupport.output("gallery", out != null ? out : Path.of(model.id() + "-" + layer.name() + ".png"));
        long started = System.nanoTime();
        GalleryAnimation animation = animate ? new GalleryAnimation(filters.size(), steps, model.channels(), side) : null;
        // The time per step is counted from the first step's end: before it come the network's compilation and the
        // start pictures' scoring, which took 24 of a 4-filter, 5-step gallery's 25 s.
        long[] firstStepEnded = {0};
        List<RenderedImage> images = Renderer.render(model, objectives, part -> preset.build(params, model.data().at(side), part),
                side, steps, render.seed, chunk, ProgressBar.onStandardError(), (first, result) -> {
                    if (firstStepEnded[0] == 0) {
                        firstStepEnded[0] = System.nanoTime();
                    }
                    if (animation != null) {
                        animation.stepped(first, result);
                    }
                });
        long ended = System.nanoTime();
        double seconds = (ended - started) / 1e9;
        long stepsTaken = steps * (long) Math.ceil(filters.size() / (double) chunk);

        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        Set<Integer> dead = new LinkedHashSet<>();
        List<Integer> deadFilters = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            RenderedImage img = images.get(i);
            tiles.add(Tiles.fromPlanes(img.displayPlanes(), model.channels(), side, side));
            labels.add(String.valueOf(filters.get(i)));
            if (img.dead()) {
                dead.add(i);
                deadFilters.add(filters.get(i));
            }
        }
        // Measured on the tiles as the PNG stores them, at the model's own size (its examples and statistics are).
        GalleryChecks checks = null;
        if (side == model.height() && side == model.width()) {
            List<float[]> shown = new ArrayList<>();
            for (BufferedImage tile : tiles) {
                shown.add(ImageInput.toPlanes(tile, model.channels(), side, side));
            }
            checks = GalleryChecks.check(model, layer.name(), filters, shown, new LinkedHashSet<>(deadFilters));
            for (int f : checks.flatTruth()) {
                int i = filters.indexOf(f);
                labels.set(i, labels.get(i) + " " + GalleryLegend.FLAT_MARK);
            }
        }
        List<Color> swatches = null;
        String deadLine = deadFilters.isEmpty() ? "no dead filters" : "dead: " + deadFilters + " (" + GalleryLegend.DEAD + ")";
        if (checks != null && !checks.flatTruth().isEmpty()) {
            deadLine += "; " + GalleryLegend.FLAT_MARK + ": " + GalleryLegend.FLAT_TRUTH;
        }
        if (checks != null && !checks.prefersFlat().isEmpty()) {
            swatches = new ArrayList<>(java.util.Collections.nCopies(filters.size(), (Color) null));
            for (int f : checks.prefersFlat()) {
                swatches.set(filters.indexOf(f), Color.decode(checks.baselines().hex(f)));
            }
            deadLine += "; " + GalleryLegend.PREFERS_FLAT;
        }
        BufferedImage grid = Grids.withLegend(Grids.grid(tiles, labels, swatches, dead, cols, Math.max(1, 96 / side)), List.of(
                model.id() + " " + layer.name() + ": " + count(filters.size(), "filter") + ", " + count(steps, "step") + ", seed " + render.seed,
                deadLine));

        List<String> command = new ArrayList<>(List.of("gallery", "--model", model.id(), "--layer", layer.name(),
                "--filters", spec, "--size", String.valueOf(side), "--steps", String.valueOf(steps),
                "--seed", String.valueOf(render.seed), "--preset", preset.name(), "--params", params.givenJson().toString()));
        if (columns != null) {
            command.addAll(List.of("--columns", String.valueOf(cols)));
        }
        if (animate) {
            command.add("--animate");
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("layer", layer.name());
        settings.put("filters", filters);
        settings.put("seed", render.seed);
        settings.put("steps", steps);
        settings.put("size", side);
        settings.put("preset", preset.name());
        settings.put("params", params.toJson());
        settings.put("dead", deadFilters);
        CommandSupport.write(grid, CommandSupport.provenance(command, settings), file);
        String perStep = stepsTaken < 2 ? "" : String.format(java.util.Locale.ROOT, ", then %.1f ms per step of %s",
                (ended - firstStepEnded[0]) / 1e6 / (stepsTaken - 1), count(Math.min(chunk, filters.size()), "image"));
        System.out.printf(java.util.Locale.ROOT, "%s: %s of %s in %.1f s (first step after %.1f s%s)%n", file,
                count(filters.size(), "filter"), layer.name(), seconds, (firstStepEnded[0] - started) / 1e9, perStep);
        System.out.println(deadFilters.isEmpty() ? "dead filters: none" : "dead filters: " + deadFilters);
        if (checks != null) {
            checks.lines(filters).forEach(System.out::println);
        }
        if (animation != null) {
            Path gif = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".gif");
            int frames = animation.write(labels, dead, cols, Math.max(1, 96 / side), gif);
            System.out.println("wrote " + gif + " (" + frames + " frames)");
        }
        return 0;
    }
}
