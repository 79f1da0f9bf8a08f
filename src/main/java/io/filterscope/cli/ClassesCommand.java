package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RenderedImage;
import io.filterscope.engine.render.Renderer;
import io.filterscope.image.Grids;
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
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code classes --model M}: one "ideal input" per output class (maximizing its logit), then each image,
 * quantized to 8 bits exactly as the PNG stores it, is fed back to the classifier: a model that learned
 * its classes recognises its own ideal inputs.
 */
@Command(name = "classes", mixinStandardHelpOptions = true,
        description = "One ideal input per output class; feeds each back and prints the class the model predicts for it.")
final class ClassesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "model id (see: models)")
    String modelId;

    @Option(names = "--steps", paramLabel = "N", description = "ascent steps (default: ${DEFAULT-VALUE})")
    int steps = Params.STEPS.base();

    @Option(names = "--out", paramLabel = "F.png", description = "output image, .png or .jpg (default: MODEL-classes.png)")
    Path out;

    @Mixin
    RenderOptions render;

    @Mixin
    ModelsDir models;

    @Override
    public Integer call() throws IOException {
        LoadedModel model = models.store().load(modelId);
        if (model.objectives().outputLayer() == null) {
            throw new UserError("model " + model.id() + " has no dense output layer, so it has no classes");
        }
        int classes = (int) model.objectives().outputLayer().channels();
        Cli.within("classes", Params.STEPS, steps);
        long seed = render.seed;
        Preset preset = render.preset("class");
        Settings params = render.settings(preset);
        Path file = CommandSupport.output("classes", out != null ? out : Path.of(model.id() + "-classes.png"));

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
        CommandSupport.write(grid, CommandSupport.provenance(List.of("classes", "--model", model.id(), "--steps",
                String.valueOf(steps), "--seed", String.valueOf(seed), "--preset", preset.name(), "--params", params.toJson().toString()),
                settings), file);
        System.out.println("wrote " + file);
        return 0;
    }

    private static String name(LoadedModel model, int k) {
        return model.classes() != null && k < model.classes().size() ? model.classes().get(k) : String.valueOf(k);
    }
}
