package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code models}: every model in the models directory with its layers, or why it cannot be used. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Lists the models with every layer's kind, channels and output shape, or why a model cannot be used.")
final class ModelsCommand implements Callable<Integer> {
    /** Classes named on a model's line; a 1000-class model's full list is its metadata file's to give. */
    static final int CLASSES_SHOWN = 20;

    @Mixin
    ModelsDir models;

    @Override
    public Integer call() {
        ModelStore store = models.store();
        for (ModelStore.Entry entry : store.list()) {
            if (!entry.available()) {
                System.out.println(entry.id() + ": unavailable: " + entry.error());
                continue;
            }
            LoadedModel model;
            try {
                model = store.load(entry.id());
            } catch (UserError e) {
                System.out.println(entry.id() + ": unavailable: " + e.getMessage());
                continue;
            }
            System.out.printf("%s  input %s  %s%s%n", model.id(), model.metadata().inputShape(),
                    model.metadata().description() == null ? "" : model.metadata().description(),
                    model.defaults() ? "  (no " + model.id() + ".json: defaults in use)" : "");
            if (model.classes() != null) {
                System.out.println("  " + classesLine(model.classes()));
            }
            ModelMetadata.DefaultView view = model.metadata().defaultView();
            if (view != null) {
                System.out.println("  the page opens on: " + view.layer() + ", filter " + view.filter()
                        + (view.preset() == null ? "" : ", preset " + view.preset()));
            }
            // Columns as wide as the model's longest name and kind: ONNX exports name layers by path.
            String row = "  %-" + width(model, LayerInfo::name) + "s %-" + width(model, LayerInfo::kind)
                    + "s channels %-5d output %s%s%n";
            for (LayerInfo layer : model.layers()) {
                System.out.printf(row, layer.name(), layer.kind(), layer.channels(), layer.outputShape(),
                        layer.alias() == null ? "" : "  (also: " + layer.alias() + ")");
            }
        }
        return 0;
    }

    /** The widest of {@code field} over the model's layers, at least 16 characters. */
    private static int width(LoadedModel model, java.util.function.Function<LayerInfo, String> field) {
        return model.layers().stream().mapToInt(l -> field.apply(l).length()).reduce(16, Math::max);
    }

    /** "classes: a, b, c", or for more than {@link #CLASSES_SHOWN} the first of them and how many more. */
    static String classesLine(java.util.List<String> classes) {
        if (classes.size() <= CLASSES_SHOWN) {
            return "classes: " + String.join(", ", classes);
        }
        return "classes (" + classes.size() + "): " + String.join(", ", classes.subList(0, CLASSES_SHOWN))
                + ", and " + (classes.size() - CLASSES_SHOWN) + " more (all in the model's metadata file)";
    }
}
