package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RenderedImage;
import io.filterscope.engine.render.Renderer;
import io.filterscope.image.Grids;
import io.filterscope.image.Tiles;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata.PictureStatistics;
import io.filterscope.quality.Checker;
import io.filterscope.quality.ClassChecks;
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
 * its classes recognises its own ideal inputs. Then the three checks of a picture a person can name: an
 * independent classifier ({@code --checker}) names the class, and the image is no more jagged and no fainter
 * than the model's training pictures (their statistics in the model's metadata).
 */
@Command(name = "classes", mixinStandardHelpOptions = true,
        description = "One ideal input per output class; feeds each back and prints the class the model predicts for it.")
final class ClassesCommand implements Callable<Integer> {
    /** Check (a)'s entry, in each class's row and in the sum, when no {@code --checker} is given. */
    private static final String NOT_NAMED = "named: not checked (no --checker)";
    /** The sheet's most columns ({@link #columns}). */
    static final int MAX_COLUMNS = 5;

    @Option(names = "--model", required = true, paramLabel = "M", description = "model id (see: models)")
    String modelId;

    @Option(names = "--steps", paramLabel = "N", description = "ascent steps (default: ${DEFAULT-VALUE})")
    @Bounds(param = "steps")
    int steps = Params.STEPS.base();

    @Option(names = "--out", paramLabel = "F.png", description = "output image, .png or .jpg (default: MODEL-classes.png)")
    Path out;

    @Option(names = "--checker", paramLabel = "F.json", description = "an independent classifier of the same classes "
            + "that must also name each image's class (checkers/ in the installed folder, src/test/resources/checkers in a checkout)")
    Path checker;

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
        int size = model.height();
        Presets.Rendering rendering = render.rendering("class", model.data().at(size));
        Preset preset = rendering.preset();
        Settings params = rendering.settings();
        Path file = CommandSupport.output("classes", out != null ? out : Path.of(model.id() + "-classes.png"));
        // All classes are one minibatch, rendered and then fed back at once.
        CommandSupport.checkMemory("classes", model, classes, size, List.of(model.objectives().outputLayer().name()),
                "classes renders all of the model's classes at once, at its own size");
        // Read before any rendering: a missing or unfit checker is a mistake worth minutes of CPU to find.
        Checker judge = checker == null ? null : Checker.read(checker);
        if (judge != null && !judge.takes(model.channels(), size, size)) {
            throw new UserError("--checker " + checker + " does not take this model's " + model.channels() + "x" + size + "x"
                    + size + " pictures");
        }

        List<Objective> objectives = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            objectives.add(model.objectives().classLogit(k));
        }
        List<RenderedImage> images = Renderer.render(model, objectives, part -> preset.build(params, model.data().at(size), part),
                size, steps, seed, classes, ProgressBar.onStandardError());

        Network net = model.cached(classes, size);
        List<BufferedImage> tiles = new ArrayList<>();
        List<float[]> pictures = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            BufferedImage tile = Tiles.fromPlanes(images.get(k).displayPlanes(), model.channels(), size, size);
            tiles.add(tile);
            // What the PNG holds, back in model input units.
            float[] stored = io.filterscope.image.ImageInput.toPlanes(tile, model.channels(), size, size);
            pictures.add(stored);
            INDArray x = model.inputSpace().toInput(Nd4j.create(stored, new long[] {1, model.channels(), size, size}));
            net.input().get(NDArrayIndex.point(k)).assign(x.get(NDArrayIndex.point(0)));
        }
        String outputLayer = model.objectives().outputLayer().name();
        net.forward(List.of(outputLayer));
        INDArray probabilities = Transforms.softmax(net.output(outputLayer), true);
        List<String> labels = new ArrayList<>();
        int recognised = 0;
        String classColumn = classColumn(model, classes);
        for (int k = 0; k < classes; k++) {
            int predicted = probabilities.getRow(k).argMax().getInt(0);
            double p = probabilities.getDouble(k, predicted);
            recognised += predicted == k ? 1 : 0;
            System.out.printf("class " + classColumn + " -> predicted " + classColumn + " p=%.4f%s%n", k, name(model, k),
                    predicted, name(model, predicted), p, predicted == k ? "" : "  MISMATCH");
            labels.add(name(model, k) + (predicted == k ? "" : " -> " + name(model, predicted)));
        }
        System.out.printf("%d/%d ideal inputs are classified as their own class%n", recognised, classes);
        String checks = printChecks(model, pictures, size, judge, classColumn);

        BufferedImage grid = Grids.withLegend(Grids.grid(tiles, labels, Set.of(), columns(classes), Math.max(1, 96 / size)),
                List.of(model.id() + ": ideal input per class, " + steps + " steps, seed " + seed,
                        recognised + "/" + classes + " classified as their own class" + checks));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("objective", "class logits 0-" + (classes - 1));
        settings.put("seed", seed);
        settings.put("steps", steps);
        settings.put("preset", preset.name());
        settings.put("params", params.toJson());
        CommandSupport.write(grid, CommandSupport.provenance(List.of("classes", "--model", model.id(), "--steps",
                String.valueOf(steps), "--seed", String.valueOf(seed), "--preset", preset.name(), "--params", params.givenJson().toString()),
                settings), file);
        System.out.println("wrote " + file);
        return 0;
    }

    /**
     * Prints the three checks a person-readable class image passes (see {@link ClassChecks}) for each image and
     * in sum, and returns the sum for the sheet's legend ("" when neither a checker nor statistics are known).
     *
     * @param judge  the {@code --checker}, or null
     * @param column the table's class column ({@link #classColumn})
     */
    private static String printChecks(LoadedModel model, List<float[]> pictures, int size, Checker judge, String column) {
        PictureStatistics statistics = model.metadata().trainingPictures();
        if (statistics == null && judge == null) {
            return "";
        }
        List<ClassChecks.Result> results = ClassChecks.check(pictures, model.channels(), size, size, statistics, judge);
        for (ClassChecks.Result r : results) {
            System.out.printf("class " + column + " (a) %s  (b) jaggedness %.4f %s  (c) contrast %.4f %s%n", r.index(),
                    name(model, r.index()), judge == null ? NOT_NAMED : judge.id() + " says " + name(model, r.checkerSays())
                            + mark(r.named()), r.neighbourDifference(), statistics == null ? "" : "<= "
                            + statistics.neighbourDifferenceP99() + mark(r.smooth()), r.contrast(),
                    statistics == null ? "" : ">= " + statistics.contrastP1() + mark(r.contrasty()));
        }
        // "all" only when all three checks ran: without a checker or statistics no image can pass them all.
        String all = judge == null ? "not counted without (a)" : statistics == null ? "not counted without (b) and (c)"
                : count(results, '*', true);
        String sum = String.format("checks: (a) %s, (b) smooth %s, (c) contrast %s, all three %s",
                judge == null ? NOT_NAMED : "named by " + judge.id() + " " + count(results, 'a', true),
                count(results, 'b', statistics != null), count(results, 'c', statistics != null), all);
        System.out.println(sum);
        return "; " + sum;
    }

    private static String count(List<ClassChecks.Result> results, char check, boolean known) {
        return known ? ClassChecks.count(results, check) + "/" + results.size() : "not checked";
    }

    private static String mark(Boolean passed) {
        return passed == null ? "" : passed ? " ok" : " FAIL";
    }

    /**
     * The sheet's columns for {@code classes} tiles: as few rows as {@link #MAX_COLUMNS} allow, as evenly filled as
     * they go (10 classes in 2 rows of 5, 12 in 3 rows of 4), so that no row is left mostly empty.
     */
    static int columns(int classes) {
        int rows = (classes + MAX_COLUMNS - 1) / MAX_COLUMNS;
        return (classes + rows - 1) / rows;
    }

    /**
     * The format of a class in the terminal table, its index and name each padded to the widest of the model's (a
     * printf format that takes the two), so that the columns after it line up however long the names are.
     */
    private static String classColumn(LoadedModel model, int classes) {
        int name = 1;
        for (int k = 0; k < classes; k++) {
            name = Math.max(name, name(model, k).length());
        }
        return "%" + String.valueOf(classes - 1).length() + "d %-" + name + "s";
    }

    private static String name(LoadedModel model, int k) {
        return model.classes() != null && k < model.classes().size() ? model.classes().get(k) : String.valueOf(k);
    }
}
