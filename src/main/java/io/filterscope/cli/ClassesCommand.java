package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.net.Network;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@code classes --model M}: one "ideal input" per output class (maximizing its logit), then each image,
 * quantized to 8 bits exactly as the PNG stores it, is fed back to the classifier: a model that learned
 * its classes recognises its own ideal inputs.
 */
final class ClassesCommand {
    private ClassesCommand() {
    }

    static int run(String[] args) throws IOException {
        Flags flags = Flags.parse("classes", args, Set.of("model", "steps", "seed", "preset", "params", "out", "models"), Set.of());
        LoadedModel model = CommandSupport.model(flags);
        if (model.objectives().outputLayer() == null) {
            throw new UserError("model " + model.id() + " has no dense output layer, so it has no classes");
        }
        int classes = (int) model.objectives().outputLayer().channels();
        int steps = flags.integer("steps", 200, 1, 100_000);
        long seed = flags.longValue("seed", 1);
        Preset preset = CommandSupport.preset(flags, Presets.defaultFor("class"));
        Settings params = CommandSupport.params(flags, preset);
        Path out = flags.path("out", model.id() + "-classes.png");

        List<Objective> objectives = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            objectives.add(model.objectives().classLogit(k));
        }
        int size = model.height();
        List<RenderedImage> images = Renderer.render(model::cached, objectives, preset.build(params, model.inputSpace()),
                size, steps, seed, classes, new ProgressBar(System.err));

        Network net = model.cached(classes, size);
        List<BufferedImage> tiles = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            BufferedImage tile = Tiles.fromPlanes(images.get(k).displayPlanes(), model.channels(), size, size);
            tiles.add(tile);
            // What the PNG holds, back in model input units.
            float[] stored = io.filterscope.image.ImageInput.toPlanes(tile, model.channels(), size, size);
            INDArray x = model.inputSpace().toInput(Nd4j.create(stored, new long[] {1, model.channels(), size, size}));
            net.input().get(NDArrayIndex.point(k)).assign(x.get(NDArrayIndex.point(0)));
        }
        String outputLayer = model.objectives().outputLayer().name();
        net.forward(List.of(outputLayer));
        INDArray probabilities = Transforms.softmax(net.output(outputLayer), true);
        List<String> labels = new ArrayList<>();
        int recognised = 0;
        for (int k = 0; k < classes; k++) {
            int predicted = probabilities.getRow(k).argMax().getInt(0);
            double p = probabilities.getDouble(k, predicted);
            recognised += predicted == k ? 1 : 0;
            System.out.printf("class %d %-12s -> predicted %d %-12s p=%.4f%s%n", k, name(model, k), predicted,
                    name(model, predicted), p, predicted == k ? "" : "  MISMATCH");
            labels.add(name(model, k) + (predicted == k ? "" : " -> " + name(model, predicted)));
        }
        System.out.printf("%d/%d ideal inputs are classified as their own class%n", recognised, classes);

        BufferedImage grid = Grids.withLegend(Grids.grid(tiles, labels, Set.of(), Math.min(classes, 5), Math.max(1, 96 / size)),
                List.of(model.id() + ": ideal input per class, " + steps + " steps, seed " + seed,
                        recognised + "/" + classes + " classified as their own class"));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("objective", "class logits 0-" + (classes - 1));
        settings.put("seed", seed);
        settings.put("steps", steps);
        settings.put("preset", preset.name());
        settings.put("params", params.toJson());
        PngFiles.write(grid, CommandSupport.provenance(List.of("classes", "--model", model.id(), "--steps",
                String.valueOf(steps), "--seed", String.valueOf(seed), "--preset", preset.name(), "--params", params.toJson().toString()),
                settings), out);
        System.out.println("wrote " + out);
        return 0;
    }

    private static String name(LoadedModel model, int k) {
        return model.classes() != null && k < model.classes().size() ? model.classes().get(k) : String.valueOf(k);
    }
}
