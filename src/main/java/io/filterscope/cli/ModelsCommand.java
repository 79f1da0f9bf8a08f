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
                System.out.println("  classes: " + String.join(", ", model.classes()));
            }
            ModelMetadata.DefaultView view = model.metadata().defaultView();
            if (view != null) {
                System.out.println("  the page opens on: " + view.layer() + ", filter " + view.filter()
                        + (view.preset() == null ? "" : ", preset " + view.preset()));
            }
            for (LayerInfo layer : model.layers()) {
                System.out.printf("  %-16s %-28s channels %-5d output %s%s%n", layer.name(), layer.kind(),
                        layer.channels(), layer.outputShape(), layer.alias() == null ? "" : "  (also: " + layer.alias() + ")");
            }
        }
        return 0;
    }
}
